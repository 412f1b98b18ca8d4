"""A real alerts runtime (engine, Apprise notifier, SQLite) over the test fleet's inventory,
for the alerts API and page tests; `fire` makes an alert fire through `engine.observe`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alerts import runtime
from alerts.config import AlertsConfig
from alerts.messages import Transition
from alerts.runtime import AlertsRuntime, Loaded
from poller.inventory import Inventory
from poller.points import HostState, Point, PollStatus
from store.records import AlertEvent

RULES = [
    {"name": "mem", "metric": "mem_used_percent", "warning": 80, "critical": 95},
    {"name": "cpu", "metric": "cpu_busy_percent", "warning": 90, "for": "10m"},
]


def build(
    inventory: Inventory,
    tmp_path: Path,
    route_url: str | None = None,
    store_events: Callable[[AlertEvent], None] | None = None,
    *,
    clock: Callable[[], float],
) -> AlertsRuntime:
    """`clock` is the app's (the fleet's fixed now): silences made through the API and
    the engine's own ticks must agree on what time it is."""
    routes = [{"name": "ops", "urls": [route_url]}] if route_url else []
    config = AlertsConfig.model_validate({"defaults": False, "rules": RULES, "routes": routes})
    loaded = Loaded(config, inventory, f"sqlite:///{tmp_path / 'alerts.db'}", tmp_path)
    return runtime.build(loaded, store_events=store_events, clock=clock)


def fire(
    rt: AlertsRuntime, host: str, now: float, mem: float = 97.0, cpu: float = 95.0
) -> list[Transition]:
    """One good poll of `host` with memory over the critical line (fires at once) and CPU
    over its warning (pending: `for: 10m` has not passed)."""
    status = PollStatus(host=host, ts=now, state=HostState.OK, reason="", duration_s=0.01)
    points = [
        Point(metric="mem_used_percent", host=host, dev="", ts=now, value=mem),
        Point(metric="cpu_busy_percent", host=host, dev="", ts=now, value=cpu),
    ]
    return rt.engine.observe(status, points, now)
