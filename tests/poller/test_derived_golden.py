"""Golden derived points and catalog: what is stored must not change by accident.

Pinned before the collectors refactor (issue 11) so that moving every source into its own
collector module is proven not to change a single stored point, name or catalog row.
Regenerate with `SSHMON_UPDATE_GOLDEN=1 pytest tests/poller/test_derived_golden.py` and
review the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from poller.catalog import METRICS
from poller.collectors.registry import parse_all
from poller.derive import Snapshot, derive, host_info
from poller.replay import sections_from_capture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURES = sorted((FIXTURES / "local").glob("probe-*.txt"))
GOLDEN = FIXTURES / "derived"


def _snapshot(path: Path) -> Snapshot:
    parsed = parse_all(sections_from_capture(path.read_text()))
    assert parsed.failures == {}
    uptime = parsed.readings["uptime"]
    return Snapshot(float(uptime.uptime_seconds), parsed.readings)  # type: ignore[attr-defined]


def _check(name: str, data: object) -> None:
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    path = GOLDEN / name
    if os.environ.get("SSHMON_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{path} changed; review and regenerate"


def test_derived_points_of_two_captures_are_unchanged() -> None:
    first, second = (_snapshot(p) for p in CAPTURES[:2])
    points = derive("web-1", first, second) + derive("web-1", None, first)
    rows = sorted([p.metric, p.dev, repr(p.ts), repr(p.value)] for p in points)
    info = host_info("web-1", second.ts, second.readings)
    _check("points-debian12.json", {"points": rows, "host_info": asdict(info) if info else None})


def test_catalog_is_unchanged() -> None:
    rows = {name: repr(spec) for name, spec in METRICS.items()}
    _check("catalog.json", rows)
