from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import FIXTURES, PROC, capture_section, expected, inline_cases

from parsers import proc_pressure
from parsers.errors import ParseError


@pytest.mark.parametrize("resource", ["cpu", "memory", "io"])
def test_procfs_fixtures_match_expected(resource: str) -> None:
    psi = proc_pressure.parse((PROC / "pressure" / resource).read_text())
    for record in expected("pressure", f"proc/pressure/{resource}"):
        labels = record["labels"]
        line = getattr(psi, labels["line"]) if "line" in labels else None
        if record["metric"] == "psi_line_present":
            assert (line is not None) is record["value"]
        elif record["metric"] == "psi" and labels["field"] == "total":
            assert line is not None
            assert line.total_seconds == pytest.approx(record["value"] / 1e6)  # µs
        elif record["metric"] == "psi":
            assert getattr(line, labels["field"]) == record["value"]


def test_cpu_without_full_line_has_full_none() -> None:
    # /proc/pressure/cpu printed no `full` line before Linux 5.13
    psi = proc_pressure.parse((PROC / "pressure/cpu").read_text())
    assert psi.some is not None and psi.full is None


@pytest.mark.parametrize("case", inline_cases("procfs", "psi_"))
def test_procfs_inline_cases(case: dict[str, Any]) -> None:
    if case["error"]:
        with pytest.raises(ParseError, match="pressure"):
            proc_pressure.parse(case["input"])
    else:
        psi = proc_pressure.parse(case["input"])
        assert (psi.some, psi.full) == (case["expected"]["some"], case["expected"]["full"])


def test_real_capture_all_resources() -> None:
    for resource in ("cpu", "memory", "io"):
        psi = proc_pressure.parse(capture_section(f"pressure_{resource}"))
        assert psi.some is not None and psi.full is not None  # 6.18 prints both
        assert psi.full.total_seconds <= psi.some.total_seconds


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("some avg10=0 avg60=0 avg300=0\n", id="no-total"),
        pytest.param("some avg10=nan avg60=0 avg300=0 total=1\n", id="nan-average"),
        pytest.param("some avg10=0 avg60=0 avg300=0 total=-1\n", id="negative-total"),
        pytest.param("full avg10 avg60=0 avg300=0 total=1\n", id="no-equals"),
    ],
)
def test_malformed_lines_raise(text: str) -> None:
    with pytest.raises(ParseError):
        proc_pressure.parse(text)


def test_node_exporter_irq_fixture_has_only_a_full_line() -> None:
    # /proc/pressure/irq (6.1+, CONFIG_IRQ_TIME_ACCOUNTING): no `some`, no trailing newline
    psi = proc_pressure.parse((FIXTURES / "node_exporter/proc/pressure/irq").read_text())
    assert psi.some is None
    assert psi.full is not None and psi.full.total_seconds == 0.008494
