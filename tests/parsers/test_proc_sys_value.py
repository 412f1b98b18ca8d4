from __future__ import annotations

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section, expected

from parsers import proc_sys_value
from parsers.errors import ParseError

_RANDOM = "proc/sys/kernel/random"


@pytest.mark.parametrize("name", ["entropy_avail", "poolsize"])
def test_procfs_fixture_matches_expected(name: str) -> None:
    parse = proc_sys_value.parser(f"/{_RANDOM}/{name}")
    want = [r["value"] for r in expected("kernel_random", f"{_RANDOM}/{name}")]
    assert parse((PROC / "sys/kernel/random" / name).read_text()).value in want


def test_node_exporter_conntrack_fixture() -> None:
    text = (FIXTURES / "node_exporter/proc/sys/net/netfilter/nf_conntrack_max").read_text()
    assert proc_sys_value.parse(text, "nf_conntrack_max").value == 262144


@pytest.mark.parametrize(
    "section", ["nf_conntrack_count", "nf_conntrack_max", "entropy_avail", "entropy_poolsize"]
)
def test_real_capture(section: str) -> None:
    assert proc_sys_value.parse(capture_section(section), section).value >= 0


@pytest.mark.parametrize("text", ["", "\n", "1 2\n", "x\n", "1" * 30 + "\n"])
def test_malformed_raise_naming_the_file(text: str) -> None:
    parse = proc_sys_value.parser("/proc/sys/net/netfilter/nf_conntrack_count")
    with pytest.raises(ParseError, match="nf_conntrack_count"):
        parse(text)
