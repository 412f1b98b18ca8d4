from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import PROC, capture_section, expected, inline_cases

from parsers import proc_net_dev
from parsers.errors import ParseError

HEADER = (
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
)


@pytest.mark.parametrize("fixture", ["proc/net/dev", "proc/26231/net/dev"])
def test_procfs_fixtures_match_every_expected_value(fixture: str) -> None:
    net = proc_net_dev.parse((PROC.parent / fixture).read_text())
    for record in expected("net_dev", fixture):
        if record["metric"] == "device_count":
            assert len(net.interfaces) == record["value"]
            continue
        counters = net.interfaces[record["labels"]["device"]]
        assert getattr(counters, f"{record['metric']}_total") == record["value"]


@pytest.mark.parametrize("case", inline_cases("procfs", "net_dev_line"))
def test_procfs_inline_lines(case: dict[str, Any]) -> None:
    want = dict(case["expected"])
    name = want.pop("name")
    counters = proc_net_dev.parse(HEADER + case["input"]).interfaces[name]
    for key, value in want.items():
        assert getattr(counters, f"{key}_total") == value


def test_no_space_after_colon_and_odd_padding() -> None:
    line = (
        "eth0:123456   7 0 0 0 0 0 0 89 10 0 0 0 0 0 0\n"
        "   bond0.100:  1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
    )
    net = proc_net_dev.parse(HEADER + line)
    assert net.interfaces["eth0"].rx_bytes_total == 123456
    assert net.interfaces["bond0.100"].tx_compressed_total == 16


def test_a_pipe_in_a_name_is_an_interface_not_a_header() -> None:
    net = proc_net_dev.parse(HEADER + "a|b: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n")
    assert list(net.interfaces) == ["a|b"]


def test_64bit_counters() -> None:
    big = 2**64 - 1
    net = proc_net_dev.parse(HEADER + f"eth0: {big} 1 0 0 0 0 0 0 {big} 1 0 0 0 0 0 0\n")
    assert net.interfaces["eth0"].rx_bytes_total == big == net.interfaces["eth0"].tx_bytes_total


def test_real_capture_has_loopback_symmetric() -> None:
    lo = proc_net_dev.parse(capture_section("net_dev")).interfaces["lo"]
    assert lo.rx_bytes_total == lo.tx_bytes_total  # what lo sends, it receives


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("eth0: 1 2 3\n", id="too-few-columns"),
        pytest.param("eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", id="no-colon"),
        pytest.param("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 x\n", id="not-a-number"),
    ],
)
def test_malformed_lines_raise(line: str) -> None:
    with pytest.raises(ParseError, match="net/dev"):
        proc_net_dev.parse(HEADER + line)


def test_headers_only_is_no_interfaces() -> None:
    assert proc_net_dev.parse(HEADER).interfaces == {}
