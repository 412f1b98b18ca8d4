from __future__ import annotations

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section, expected

from parsers import proc_net_sockstat6
from parsers.errors import ParseError


def test_procfs_fixture_matches_expected() -> None:
    sock = proc_net_sockstat6.parse((PROC / "net/sockstat6").read_text())
    for record in expected("sockstat", "proc/net/sockstat6"):
        labels = record["labels"]
        assert sock.protocols[labels["protocol"]][labels["field"]] == record["value"]


def test_node_exporter_fixture() -> None:
    sock = proc_net_sockstat6.parse((FIXTURES / "node_exporter/proc/net/sockstat6").read_text())
    assert sock.protocols == {
        "TCP6": {"inuse": 17},
        "UDP6": {"inuse": 9},
        "UDPLITE6": {"inuse": 0},
        "RAW6": {"inuse": 1},
        "FRAG6": {"inuse": 0, "memory": 0},
    }


def test_real_capture() -> None:
    sock = proc_net_sockstat6.parse(capture_section("net_sockstat6"))
    assert "inuse" in sock.protocols["TCP6"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("sockets: used 3\nTCP6: inuse 1\n", id="ipv4-file"),
        pytest.param("TCP6: inuse\n", id="key-without-value"),
        pytest.param("TCP6 inuse 1\n", id="no-colon"),
        pytest.param("TCP6: inuse x\n", id="not-a-number"),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="sockstat6"):
        proc_net_sockstat6.parse(text)
