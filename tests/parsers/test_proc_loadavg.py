from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import PROC, capture_section, expected, inline_cases

from parsers import proc_loadavg
from parsers.errors import ParseError

_FIELDS = {
    "load1": "load1",
    "load5": "load5",
    "load15": "load15",
    "runnable_entities": "runnable",
    "total_entities": "entities",
}


def test_procfs_fixture_matches_expected() -> None:
    load = proc_loadavg.parse((PROC / "loadavg").read_text())
    for record in expected("loadavg", "proc/loadavg"):
        if record["metric"] in _FIELDS:
            assert getattr(load, _FIELDS[record["metric"]]) == record["value"]


@pytest.mark.parametrize("case", inline_cases("procfs", "loadavg_"))
def test_procfs_inline_cases(case: dict[str, Any]) -> None:
    if case["error"]:
        with pytest.raises(ParseError):
            proc_loadavg.parse(case["input"])
        return
    load = proc_loadavg.parse(case["input"])
    for key, value in case["expected"].items():
        assert getattr(load, key) == value


def test_real_capture() -> None:
    load = proc_loadavg.parse(capture_section("loadavg"))
    assert load.runnable is not None and load.entities is not None
    assert 1 <= load.runnable <= load.entities


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("nan 0 0 1/1 1", id="nan"),
        pytest.param("inf 0 0", id="infinite"),
        pytest.param("0 0 0 x/1 1", id="bad-runnable"),
    ],
)
def test_non_numbers_raise(text: str) -> None:
    with pytest.raises(ParseError):
        proc_loadavg.parse(text)


def test_three_fields_leave_entities_none() -> None:
    assert proc_loadavg.parse("1 2 3\n").entities is None
