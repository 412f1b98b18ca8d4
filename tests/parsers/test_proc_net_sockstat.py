from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import PROC, capture_section, expected, inline_cases

from parsers import proc_net_sockstat
from parsers.errors import ParseError


def test_procfs_fixture_matches_expected() -> None:
    sock = proc_net_sockstat.parse((PROC / "net/sockstat").read_text())
    for record in expected("sockstat", "proc/net/sockstat"):
        protocol, field = record["labels"]["protocol"], record["labels"]["field"]
        got = sock.sockets_used if protocol == "sockets" else sock.protocols[protocol][field]
        assert got == record["value"]


@pytest.mark.parametrize("case", inline_cases("procfs", "sockstat_"))
def test_procfs_inline_cases(case: dict[str, Any]) -> None:
    if case["error"]:
        with pytest.raises(ParseError):
            proc_net_sockstat.parse(case["input"])
        return
    sock = proc_net_sockstat.parse(case["input"])
    assert sock.sockets_used == case["expected"]["used"]
    want = {p.pop("protocol"): p for p in (dict(p) for p in case["expected"]["protocols"])}
    assert sock.protocols == want  # keys a line did not print are absent, not 0


def test_real_capture() -> None:
    sock = proc_net_sockstat.parse(capture_section("net_sockstat"))
    assert sock.sockets_used is not None and "tw" in sock.protocols["TCP"]
