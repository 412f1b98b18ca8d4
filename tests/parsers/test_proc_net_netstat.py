from __future__ import annotations

import pytest
from peer_fixtures import PROC, capture_section, expected

from parsers import proc_net_netstat
from parsers.errors import ParseError


def test_procfs_fixture_matches_every_expected_value() -> None:
    netstat = proc_net_netstat.parse((PROC / "26231/net/netstat").read_text())
    records = expected("proc_netstat", "proc/26231/net/netstat")
    for record in records:
        labels = record["labels"]
        assert netstat.protocols[labels["protocol"]][labels["field"]] == record["value"]
    assert len(records) > 130


def test_real_capture_has_listen_drops() -> None:
    protocols = proc_net_netstat.parse(capture_section("net_netstat")).protocols
    assert "ListenDrops" in protocols["TcpExt"] and "InOctets" in protocols["IpExt"]


def test_error_names_the_netstat_source() -> None:
    with pytest.raises(ParseError, match="/proc/net/netstat"):
        proc_net_netstat.parse("TcpExt: A B\nTcpExt: 1\n")
