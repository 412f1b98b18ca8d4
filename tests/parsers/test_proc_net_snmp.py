from __future__ import annotations

import pytest
from peer_fixtures import PROC, capture_section, expected

from parsers import proc_net_snmp
from parsers.errors import ParseError


def test_procfs_fixture_matches_every_expected_value() -> None:
    snmp = proc_net_snmp.parse((PROC / "26231/net/snmp").read_text())
    records = expected("proc_snmp", "proc/26231/net/snmp")
    for record in records:
        labels = record["labels"]
        assert snmp.protocols[labels["protocol"]][labels["field"]] == record["value"]
    assert len(records) > 80


def test_negative_values_are_kept() -> None:
    tcp = proc_net_snmp.parse(capture_section("net_snmp")).protocols["Tcp"]
    assert tcp["MaxConn"] == -1  # RFC 2012: the limit is dynamic
    assert tcp["CurrEstab"] >= 0


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Tcp: A B\nTcp: 1\n", id="fewer-values"),
        pytest.param("Tcp: A\nUdp: 1\n", id="protocol-mismatch"),
        pytest.param("Tcp: A\n", id="no-value-line"),
        pytest.param("Tcp: A\nTcp: x\n", id="not-a-number"),
    ],
)
def test_malformed_pairs_raise(text: str) -> None:
    with pytest.raises(ParseError, match="snmp"):
        proc_net_snmp.parse(text)
