from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import FIXTURES, inline_cases

from parsers import proc_net_stat_nf_conntrack
from parsers.errors import ParseError
from parsers.proc_net_stat_nf_conntrack import FIELDS

# the header as Linux 6.18 prints it (this VM's, 2 cpus; the counts are made up, this
# VM's are all 0): `searched` is now `clashres`, `delete_list` `chainlength`
THIS_MACHINE = (
    "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop"
    " early_drop icmp_error  expect_new expect_create expect_delete search_restart\n"
    "00000003  00000000 00000000 00000000 00000011 0000002a 00000000 00000000 00000000"
    " 00000001 00000000 00000000 00000000  00000000 00000000 00000000 00000000\n"
    "00000003  00000000 00000000 00000000 00000000 00000007 00000000 00000000 00000000"
    " 00000002 00000005 00000000 00000000  00000000 00000000 00000000 00000000\n"
)


@pytest.mark.parametrize("case", inline_cases("procfs", "conntrack_stat"))
def test_procfs_inline_cases(case: dict[str, Any]) -> None:
    stat = proc_net_stat_nf_conntrack.parse(case["input"])
    rows = case["expected"]["rows"]
    assert len(stat.cpus) == len(rows)
    for row, want in zip(stat.cpus, rows, strict=True):
        got = dict(zip(stat.columns, row, strict=True))
        # procfs fills a column the kernel did not print with 0; here it is absent
        assert got == {f: want[f] for f in FIELDS if f in got}
    if "no search_restart" in case["note"]:
        assert "search_restart" not in stat.columns and stat.total("search_restart") is None


def test_node_exporter_fixture_sums_as_node_exporter() -> None:
    text = (FIXTURES / "node_exporter/proc/net/stat/nf_conntrack").read_text()
    stat = proc_net_stat_nf_conntrack.parse(text)
    assert stat.columns == FIELDS
    # node_exporter 1.5.0 on this file: ignore 89738, invalid 53, search_restart 7
    assert (stat.total("ignore"), stat.total("invalid"), stat.total("search_restart")) == (
        0x588A + 0x56A4 + 0x58D4 + 0x5688,
        53,
        7,
    )


def test_columns_are_found_by_the_headers_names() -> None:
    stat = proc_net_stat_nf_conntrack.parse(THIS_MACHINE)
    assert stat.columns == FIELDS  # clashres/chainlength are not exported, nothing moved
    assert stat.total("invalid") == 0x11 and stat.total("ignore") == 0x2A + 7
    assert stat.total("insert_failed") == 3 and stat.total("drop") == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("00000001 00000002\n", "header", id="no-header"),
        pytest.param("entries found drop\n1 0000000g 0\n", "hexadecimal", id="not-hex"),
        pytest.param("entries found drop\n00000001 00000002\n", "3 columns", id="short-row"),
        pytest.param("entries found drop\n1 2 " + "f" * 20 + "\n", "out of range", id="huge"),
    ],
)
def test_bad_input_is_a_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        proc_net_stat_nf_conntrack.parse(text)
