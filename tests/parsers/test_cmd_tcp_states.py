from __future__ import annotations

from pathlib import Path

import pytest

from parsers import cmd_tcp_states
from parsers.cmd_tcp_states import STATES
from parsers.errors import ParseError

CMD = Path(__file__).parents[1] / "fixtures" / "cmd"


def test_ss_capture_maps_to_node_exporter_states() -> None:
    tcp = cmd_tcp_states.parse((CMD / "tcp-states.ss").read_text())
    assert tuple(tcp.counts) == STATES
    assert tcp.counts["established"] == 1400
    assert tcp.counts["time_wait"] == 39113
    assert tcp.counts["close_wait"] == tcp.counts["fin_wait2"] == 40
    assert tcp.counts["listen"] == 21
    assert tcp.counts["syn_recv"] == tcp.counts["close"] == 0
    assert tcp.unknown == 0


def test_proc_capture_reads_the_same_as_ss_taken_with_it() -> None:
    # both taken within a few ms of each other on the same sockets (fixtures README)
    by_ss = cmd_tcp_states.parse((CMD / "tcp-states.ss").read_text())
    by_proc = cmd_tcp_states.parse((CMD / "tcp-states.proc").read_text())
    assert by_proc == by_ss


def test_no_output_means_no_sockets_in_any_state() -> None:
    # awk saw the header only: the count is complete, and it is zero
    assert set(cmd_tcp_states.parse("").counts.values()) == {0}


def test_closed_and_lower_case_hex_codes() -> None:
    tcp = cmd_tcp_states.parse("UNCONN 2\n0b 3\n0a 1\n")
    assert (tcp.counts["close"], tcp.counts["closing"], tcp.counts["listen"]) == (2, 3, 1)


def test_a_state_this_version_does_not_know_is_counted_apart() -> None:
    tcp = cmd_tcp_states.parse("ESTAB 5\nBOUND-INACTIVE 7\n")
    assert tcp.counts["established"] == 5 and tcp.unknown == 7
    assert sum(tcp.counts.values()) == 5


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ESTAB\n", id="no-count"),
        pytest.param("ESTAB 1 2\n", id="extra-field"),
        pytest.param("ESTAB x\n", id="not-a-number"),
        pytest.param("ESTAB -1\n", id="negative"),
        pytest.param("ESTAB 99999999999999999999999\n", id="beyond-u64"),
    ],
)
def test_malformed_lines_raise(text: str) -> None:
    with pytest.raises(ParseError, match="tcp_states"):
        cmd_tcp_states.parse(text)
