"""Test data helpers: fixture files, peer expected values and inline cases, captures.

procfs/ and psutil/ under tests/fixtures are copied from /work/shared/peer-fixtures
(see tests/fixtures/README.md for where each came from).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from parsers.frame import Section
from poller.replay import sections_from_capture

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROC = FIXTURES / "procfs" / "proc"
CAPTURES = tuple(sorted((FIXTURES / "local").glob("probe-*.txt")))


def text(relative: str) -> str:
    return (FIXTURES / relative).read_text()


@cache
def _expected() -> list[dict[str, Any]]:
    data = json.loads((FIXTURES / "procfs" / "expected.json").read_text())
    return list(data["values"])


def expected(family: str, fixture: str, metric: str | None = None) -> list[dict[str, Any]]:
    """procfs records of one family and fixture file (RAW values, as written in the file)."""
    found = [
        r
        for r in _expected()
        if r["family"] == family and r["fixture"] == fixture and metric in (None, r["metric"])
    ]
    assert found, f"no expected records for {family} {fixture} {metric}"
    return found


def inline_cases(source: str, prefix: str) -> list[Any]:
    """pytest params (id = upstream case id) of peer inline cases whose id starts with prefix."""
    data = json.loads((FIXTURES / source / "inline_cases.json").read_text())
    cases = [c for c in data["cases"] if c["id"].startswith(prefix)]
    assert cases, f"no inline cases {source}/{prefix}"
    return [pytest.param(c, id=c["id"]) for c in cases]


@cache
def capture_sections(index: int = 0) -> dict[str, Section]:
    """Sections of a real probe capture of a Debian 12 VM (Linux 6.18)."""
    return sections_from_capture(CAPTURES[index].read_text())


def capture_section(name: str, index: int = 0) -> str:
    return capture_sections(index)[name].text
