from __future__ import annotations

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section

from parsers import proc_net_arp
from parsers.errors import ParseError


def test_procfs_fixture_counts_incomplete_entries_too() -> None:
    # the second entry is incomplete (flags 0x0, no MAC): node_exporter counts it
    assert proc_net_arp.parse((PROC / "net/arp").read_text()).devices == {"ens33": 2}


def test_node_exporter_fixture_counts_per_device() -> None:
    arp = proc_net_arp.parse((FIXTURES / "node_exporter/proc/net/arp").read_text())
    assert arp.devices == {"eth0": 3, "eth1": 3}


def test_real_capture() -> None:
    assert sum(proc_net_arp.parse(capture_section("net_arp")).devices.values()) >= 1


def test_header_only_is_no_entries() -> None:
    text = "IP address       HW type     Flags       HW address            Mask     Device\n"
    assert proc_net_arp.parse(text).devices == {}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:ff * eth0\n", id="no-header"),
        pytest.param("IP address HW type\n10.0.0.1 0x1 0x2 * eth0\n", id="five-columns"),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="arp"):
        proc_net_arp.parse(text)
