from __future__ import annotations

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section, expected

from parsers import proc_net_snmp6
from parsers.errors import ParseError


def test_procfs_fixture_matches_expected() -> None:
    counters = proc_net_snmp6.parse((PROC / "26231/net/snmp6").read_text()).protocols
    # the copied file ends with the ttar archive's "Mode: 644" line: no "6" in the name,
    # so it is left out, as node_exporter leaves it out
    records = [
        r for r in expected("proc_snmp6", "proc/26231/net/snmp6", "snmp6")
        if r["labels"]["name"] != "Mode:"
    ]  # fmt: skip
    for record in records:
        name = record["labels"]["name"]
        six = name.index("6") + 1
        assert counters[name[:six]][name[six:]] == record["value"], name
    assert sum(len(fields) for fields in counters.values()) == len(
        {r["labels"]["name"] for r in records}
    )


def test_node_exporter_fixture_splits_after_the_first_six() -> None:
    text = (FIXTURES / "node_exporter/proc/net/snmp6").read_text()
    counters = proc_net_snmp6.parse(text).protocols
    assert set(counters) == {"Ip6", "Icmp6", "Udp6", "UdpLite6"}
    assert counters["Ip6"]["InOctets"] == 460 and counters["Ip6"]["OutNoRoutes"] == 3003
    assert counters["Icmp6"]["OutType133"] == 3  # the "6" of Icmp6 splits, not of Type
    assert counters["Udp6"]["RcvbufErrors"] == 9 and counters["UdpLite6"]["InErrors"] == 0


def test_real_capture() -> None:
    counters = proc_net_snmp6.parse(capture_section("net_snmp6")).protocols
    assert "InOctets" in counters["Ip6"] and "InErrors" in counters["Udp6"]


def test_other_whitespace_takes_the_full_parse() -> None:
    # the fast path accepts only the kernel's "%-32s\t%lu"; spaces alone still parse
    assert proc_net_snmp6.parse("Ip6InReceives 7\n").protocols == {"Ip6": {"InReceives": 7}}


def test_a_name_without_six_is_left_out_as_node_exporter_does() -> None:
    assert proc_net_snmp6.parse("Ip6InReceives\t1\nFoo\t2\n").protocols == {
        "Ip6": {"InReceives": 1}
    }


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Ip6InReceives\tx\n", id="not-a-number"),
        pytest.param("Ip6InReceives\t1 2\n", id="three-fields"),
        pytest.param("Ip6InReceives\n", id="no-value"),
        pytest.param("Ip6InReceives\t" + "9" * 25 + "\n", id="beyond-64-bits"),
    ],
)
def test_malformed_raise_and_quote_the_line(text: str) -> None:
    with pytest.raises(ParseError, match="snmp6") as info:
        proc_net_snmp6.parse(text).protocols  # noqa: B018 - raises in parse already
    assert info.value.line is not None and "Ip6InReceives" in info.value.line
