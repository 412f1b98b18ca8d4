from __future__ import annotations

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section, expected

from parsers import proc_net_udp
from parsers.errors import ParseError


@pytest.mark.parametrize("name", ["udp", "udp6"])
def test_procfs_fixture_matches_the_summary(name: str) -> None:
    fixture = f"proc/net/{name}"
    queues = proc_net_udp.parse((PROC / "net" / name).read_text())
    tx = expected("net_udp", fixture, "summary_tx_queue_length")[0]["value"]
    rx = expected("net_udp", fixture, "summary_rx_queue_length")[0]["value"]
    assert (queues.tx_bytes, queues.rx_bytes) == (tx, rx)


def test_procfs_broken_fixture_raises() -> None:
    with pytest.raises(ParseError, match="at least 10 columns"):
        proc_net_udp.parse((PROC / "net/udp_broken").read_text())


def test_node_exporter_fixture() -> None:
    queues = proc_net_udp.parse((FIXTURES / "node_exporter/proc/net/udp").read_text())
    assert (queues.tx_bytes, queues.rx_bytes) == (0x15, 0)


def test_the_probes_grep_leaves_the_sums_unchanged() -> None:
    # what `grep -v ' 00000000:00000000 '` makes of the procfs fixture: the idle sockets
    # go, the sums stay
    full = (PROC / "net/udp").read_text()
    kept = "".join(
        line for line in full.splitlines(keepends=True) if " 00000000:00000000 " not in line
    )
    assert proc_net_udp.parse(kept) == proc_net_udp.parse(full)


def test_real_capture_header_only() -> None:
    # the captured VM had no UDP socket with anything queued: grep left the headers
    text = capture_section("net_udp")
    assert [line.split(":")[0] for line in text.splitlines()] == [
        "/proc/net/udp",
        "/proc/net/udp6",
    ]
    empty = proc_net_udp.UdpQueues(0, 0)
    assert proc_net_udp.parse_grep(text) == proc_net_udp.UdpFiles(empty, empty)


def test_grep_of_both_files_sums_each() -> None:
    v4 = (PROC / "net/udp").read_text().splitlines()
    v6 = (PROC / "net/udp6").read_text().splitlines()
    text = "".join(f"/proc/net/udp:{line}\n" for line in v4)
    text += "".join(f"/proc/net/udp6:{line}\n" for line in v6)
    files = proc_net_udp.parse_grep(text)
    assert files == proc_net_udp.UdpFiles(
        proc_net_udp.UdpQueues(2, 2), proc_net_udp.UdpQueues(0, 0)
    )


def test_no_udp6_file_is_unavailable_not_zero() -> None:
    # a kernel without IPv6: grep reads /proc/net/udp only (its complaint goes to /dev/null)
    text = "".join(
        f"/proc/net/udp:{line}\n" for line in (PROC / "net/udp").read_text().splitlines()
    )
    assert proc_net_udp.parse_grep(text).v6 is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("  sl  local_address\n", id="no-path-prefix"),
        pytest.param("/etc/passwd:root:x:0:0\n", id="another-file"),
        pytest.param("/proc/net/udp:garbage\n", id="not-the-udp-table"),
    ],
)
def test_grep_output_of_another_shape_raises(text: str) -> None:
    with pytest.raises(ParseError, match="/proc/net/udp"):
        proc_net_udp.parse_grep(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("garbage\n", id="no-header"),
        pytest.param(
            "  sl  local\n 0: 0100007F:0035 00000000:0000 07 0000001g:00000000 00:00000000 "
            "00000000 0 0 1 2 ffff 0\n",
            id="not-hex",
        ),
        pytest.param(
            "  sl  local\n 0: 0100007F:0035 00000000:0000 07 00000010 00:00000000 "
            "00000000 0 0 1 2 ffff 0\n",
            id="no-colon-in-queues",
        ),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="/proc/net/udp"):
        proc_net_udp.parse(text)


def test_udp6_errors_name_udp6() -> None:
    with pytest.raises(ParseError, match="/proc/net/udp6"):
        proc_net_udp.parse6("garbage\n")
