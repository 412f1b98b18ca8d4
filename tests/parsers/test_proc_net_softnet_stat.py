from __future__ import annotations

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section, expected

from parsers import proc_net_softnet_stat
from parsers.errors import ParseError

_FIELDS = {"processed": "processed", "dropped": "dropped", "time_squeezed": "times_squeezed"}


def test_procfs_fixture_matches_expected() -> None:
    # rows of 13, 13, 11, 9 and 10 columns: every column count the kernel printed since 2.6
    softnet = proc_net_softnet_stat.parse((PROC / "net/softnet_stat").read_text())
    for metric, field in _FIELDS.items():
        for record in expected("softnet", "proc/net/softnet_stat", metric):
            row = record["labels"]["row"]  # rows 0 and 1 print index 0 and 1: the same
            assert getattr(softnet.cpus[row], field) == record["value"], (row, metric)
    assert list(softnet.cpus) == ["0", "1", "2", "3", "4"]


def test_procfs_broken_fixture_raises() -> None:
    assert expected("softnet", "proc/net/softnet_stat.broken")[0]["value"] is True
    with pytest.raises(ParseError, match="at least 9 columns"):
        proc_net_softnet_stat.parse((PROC / "net/softnet_stat.broken").read_text())


def test_node_exporter_fixture_is_hexadecimal() -> None:
    text = (FIXTURES / "node_exporter/proc/net/softnet_stat").read_text()
    cpus = proc_net_softnet_stat.parse(text).cpus
    assert [c.processed for c in cpus.values()] == [0x49279, 0xDFB82, 0x551C3F, 0x2F8339]
    assert [c.dropped for c in cpus.values()] == [0, 0x29, 0, 0]
    assert [c.times_squeezed for c in cpus.values()] == [1, 10, 85, 50]


def test_index_column_names_the_cpu_when_cpus_are_offline() -> None:
    # 5.10+: an offline cpu has no row, so the 13th column, not the row, is the cpu
    line = "00000010 00000000 00000000" + " 00000000" * 9 + " 00000003\n"
    assert list(proc_net_softnet_stat.parse(line).cpus) == ["3"]


def test_real_capture() -> None:
    cpus = proc_net_softnet_stat.parse(capture_section("softnet_stat")).cpus
    assert list(cpus) == ["0", "1"] and all(c.processed > 0 for c in cpus.values())


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("0000000g" + " 00000000" * 8 + "\n", id="not-hex"),
        pytest.param("00000001 00000002\n", id="too-few-columns"),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="softnet_stat"):
        proc_net_softnet_stat.parse(text)
