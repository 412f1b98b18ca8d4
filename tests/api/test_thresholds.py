"""Thresholds per host and metric, from the running engine's effective rules: scope, group and
host overrides applied, as `GET /api/v1/hosts/{name}/thresholds` and on the host's charts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fleetdata import Fleet

from alerts.config import AlertsConfig, Rule
from alerts.engine import AlertEngine
from api.app import create_app
from api.context import AppContext

RULES = [
    {"name": "cpu_hot", "metric": "cpu_busy_percent", "warning": 80, "critical": 95,
     "groups": {"db": {"critical": 99}}, "hosts": {"web-1": {"warning": 70}},
     "scope": {"exclude": ["web-2"]}},
    {"name": "disk_slow", "metric": "disk_read_await_seconds", "op": ">=", "warning": 0.05,
     "devices": ["sd*"]},
    # hours until full is not a value the fs chart can show: left out
    {"name": "fs_filling", "metric": "fs_used_percent", "reduce": "hours_to_zero",
     "window": "6h", "critical": 4},
    {"name": "down", "poll": "down"},
]


@pytest.fixture
async def ruled(fleet: Fleet, ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """The API with an alert engine (what the thresholds need of `sshmon run`'s runtime)."""
    config = AlertsConfig(defaults=False, rules=[Rule.model_validate(r) for r in RULES])
    ctx.alerts = SimpleNamespace(engine=AlertEngine(config, fleet.inventory.hosts))
    app = create_app(ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c


def _levels(body: dict[str, Any], metric: str) -> list[tuple[str, str, str, float]]:
    return [(t["rule"], t["severity"], t["op"], t["value"]) for t in body["thresholds"]
            if t["metric"] == metric]


async def test_per_host_and_per_group_overrides_are_applied(ruled: httpx.AsyncClient) -> None:
    web1 = (await ruled.get("/api/v1/hosts/web-1/thresholds")).json()
    assert web1["engine"] is True
    assert _levels(web1, "cpu_busy_percent") == [
        ("cpu_hot", "warning", ">", 70), ("cpu_hot", "critical", ">", 95)]
    db1 = (await ruled.get("/api/v1/hosts/db-1/thresholds")).json()
    assert _levels(db1, "cpu_busy_percent") == [
        ("cpu_hot", "warning", ">", 80), ("cpu_hot", "critical", ">", 99)]
    slow = [t for t in db1["thresholds"] if t["rule"] == "disk_slow"]
    assert slow == [{"rule": "disk_slow", "metric": "disk_read_await_seconds",
                     "severity": "warning", "op": ">=", "value": 0.05, "devices": ["sd*"],
                     "exclude_devices": []}]


async def test_a_host_out_of_scope_has_none_and_other_units_are_left_out(
    ruled: httpx.AsyncClient,
) -> None:
    web2 = (await ruled.get("/api/v1/hosts/web-2/thresholds")).json()
    assert _levels(web2, "cpu_busy_percent") == []
    assert _levels(web2, "fs_used_percent") == []  # hours_to_zero: not a percent


async def test_charts_carry_the_thresholds_of_their_metrics(ruled: httpx.AsyncClient) -> None:
    body = (await ruled.get("/api/v1/hosts/db-1/charts", params={"range": "1h"})).json()
    charts = {c["id"]: c for c in body["charts"]}
    assert [(t["severity"], t["value"]) for t in charts["cpu_busy"]["thresholds"]] == [
        ("warning", 80), ("critical", 99)]
    assert [t["rule"] for t in charts["disk_await"]["thresholds"]] == ["disk_slow"]
    # a stacked chart's bands are not the busy share: no line on "CPU by mode"
    assert charts["cpu"]["thresholds"] == [] and charts["net"]["thresholds"] == []


async def test_without_an_engine_there_are_no_thresholds(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/hosts/web-1/thresholds")).json()
    assert body == {"host": "web-1", "engine": False, "thresholds": []}
    assert (await client.get("/api/v1/hosts/nope/thresholds")).status_code == 404
