"""The shipped systemd_unit_failed rule, stepped through the engine at chosen instants."""

from __future__ import annotations

from pathlib import Path

from alerts_helpers import host, ok, pt

from alerts.config import load as load_alerts
from alerts.defaults import SHIPPED
from alerts.engine import AlertEngine
from alerts.state import Change
from poller.yamlfile import Document


def _engine() -> AlertEngine:
    only = {d["name"]: False for d in SHIPPED if d["name"] != "systemd_unit_failed"}
    config = load_alerts(Document(Path("inventory.yaml"), {}, {}), data={"defaults": only})
    assert [r.name for r in config.rules] == ["systemd_unit_failed"]
    return AlertEngine(config, [host("web-1"), host("alpine-1")])


def test_a_failed_unit_fires_a_warning_and_resolves_when_none_is_left() -> None:
    engine = _engine()
    seen = []
    for t, failed in [(0, 0.0), (120, 2.0), (240, 2.0), (360, 0.0)]:
        seen += engine.observe(ok("web-1", t), [pt("web-1", "systemd_units_failed", failed, t)], t)
    assert [(c.change, c.severity, c.ts) for c in seen] == [
        (Change.FIRING, "warning", 120),
        (Change.RESOLVED, "warning", 360),
    ]


def test_a_host_without_systemd_never_fires() -> None:
    engine = _engine()
    # the poll succeeds but brings no systemd_units_failed point: unavailable, not 0 or 1
    changes = [c for t in range(0, 3600, 120) for c in engine.observe(ok("alpine-1", t), [], t)]
    assert changes == []
