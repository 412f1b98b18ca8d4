from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import proc_vmstat
from parsers.errors import ParseError


def test_real_capture_has_the_fields_node_exporter_exports() -> None:
    values = proc_vmstat.parse(capture_section("vmstat")).values
    for key in ("pgpgin", "pgpgout", "pswpin", "pswpout", "pgfault", "pgmajfault", "oom_kill"):
        assert key in values
    assert values["pgfault"] >= values["pgmajfault"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("pgfault\n", id="no-value"),
        pytest.param("pgfault 1 2\n", id="two-values"),
        pytest.param("pgfault many\n", id="not-a-number"),
    ],
)
def test_malformed_lines_raise(text: str) -> None:
    with pytest.raises(ParseError, match="vmstat"):
        proc_vmstat.parse(text)


def test_empty_is_empty() -> None:
    assert proc_vmstat.parse("\n").values == {}


def test_fields_split_across_lines_are_not_paired_up() -> None:
    # tokens "a 1 b" / "2" pair up as a=1, b=2 if one only counted tokens
    with pytest.raises(ParseError, match="'a 1 b'"):
        proc_vmstat.parse("a 1 b\n2\n")
