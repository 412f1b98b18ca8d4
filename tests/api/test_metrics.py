"""GET /metrics: sshmon's own health plus every fresh host under node_exporter names."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from fleetdata import Fleet
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from api.context import AppContext
from parsers.frame import Section
from poller.collectors.registry import parse_all
from poller.health import PollHealth
from poller.points import HostState, PollStatus

HUGE = "9" * 400


def _own() -> Iterator[Metric]:
    yield GaugeMetricFamily("sshmon_up_hosts", "Hosts up.", value=4)


@pytest.fixture(autouse=True)
def fixed_clock(ctx: AppContext, fleet: Fleet) -> None:
    # the fleet's newest rows were written at fleet.now; "now" is then, whatever the wall says
    ctx.clock = lambda: fleet.now


def _samples(body: str, name: str) -> dict[str, float]:
    out = {}
    for line in body.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            out[labels[len(name) :]] = float(value)
    return out


def _publish(ctx: AppContext, host: str, ts: float, sections: dict[str, str]) -> None:
    parsed = parse_all({k: Section(k, v) for k, v in sections.items()})
    status = PollStatus(host, ts, HostState.OK, "", 0.1, tuple(parsed.failures))
    ctx.hub.publish(host, status, [], parsed.readings)


async def test_self_metrics_then_host_gauges_from_the_store(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet
) -> None:
    ctx.self_metrics = _own
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "text/plain; version=0.0.4"
    )
    body = r.text
    assert body.startswith("# HELP sshmon_up_hosts Hosts up.\n# TYPE sshmon_up_hosts gauge\n")
    load1 = _samples(body, "node_load1")
    assert set(load1) == {f'{{instance="{h.name}"}}' for h in fleet.inventory.hosts}
    fs = _samples(body, "node_filesystem_size_bytes")
    # byte sizes are stored exactly (poller/catalog.py precision), never rounded
    assert fs['{instance="db-1",mountpoint="/var/lib/postgresql"}'] == 100 * 1024**3
    assert body.count("# TYPE node_load1 gauge") == 1  # one family across hosts
    # every family has HELP, and the official parser reads the whole body
    families = list(text_string_to_metric_families(body))
    assert families and all(f.documentation for f in families)


async def test_published_readings_win_over_the_store(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet
) -> None:
    _publish(ctx, "web-1", fleet.now, {"loadavg": "7.25 3.50 1.75 2/300 4242\n"})
    body = (await client.get("/metrics")).text
    assert _samples(body, "node_load1")['{instance="web-1"}'] == 7.25
    assert _samples(body, "node_load15")['{instance="web-1"}'] == 1.75
    # other hosts still come from the store
    assert '{instance="web-2"}' in _samples(body, "node_load1")


async def test_a_stale_host_exports_no_readings_but_still_its_up(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet
) -> None:
    interval = fleet.inventory.host("web-1").interval
    last_good = fleet.now - 2 * interval - 1  # just past two intervals
    _publish(ctx, "web-1", last_good, {"loadavg": "7.25 3.50 1.75 2/300 4242\n"})
    health = PollHealth()
    health.observe(PollStatus("web-1", fleet.now, HostState.TIMEOUT, "timed out", 10.0))
    ctx.self_metrics = health.collect
    body = (await client.get("/metrics")).text
    assert not any('instance="web-1"' in ln for ln in body.splitlines() if ln.startswith("node_"))
    assert 'sshmon_host_up{host="web-1"} 0.0' in body
    assert 'sshmon_host_state{host="web-1",state="timeout"} 1.0' in body
    assert '{instance="web-2"}' in _samples(body, "node_load1")  # the others are fresh


async def test_a_host_within_two_intervals_is_still_exported(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet
) -> None:
    interval = fleet.inventory.host("web-1").interval
    _publish(ctx, "web-1", fleet.now - 2 * interval, {"loadavg": "7.25 3.50 1.75 2/300 42\n"})
    body = (await client.get("/metrics")).text
    assert _samples(body, "node_load1")['{instance="web-1"}'] == 7.25


async def test_a_400_digit_meminfo_value_breaks_neither_metrics_nor_other_hosts(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet
) -> None:
    _publish(
        ctx,
        "web-1",
        fleet.now,
        {
            "meminfo": f"MemTotal: {HUGE} kB\nMemFree: 1024 kB\n",
            "loadavg": "7.25 3.50 1.75 2/300 4242\n",
        },
    )
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert _samples(r.text, "node_load1")['{instance="web-1"}'] == 7.25
    assert not any(
        ln.startswith("node_memory_") and 'instance="web-1"' in ln for ln in r.text.splitlines()
    )
    assert '{instance="web-2"}' in _samples(r.text, "node_load1")


async def test_label_values_from_targets_are_escaped(client: httpx.AsyncClient) -> None:
    body = (await client.get("/metrics")).text
    lines = [
        ln
        for ln in body.splitlines()
        if ln.startswith('node_filesystem_size_bytes{instance="evil"')
    ]
    assert any(
        'mountpoint="/mnt/\\"><img src=x onerror=\\"window.__xss=2\\">"' in ln for ln in lines
    )


async def test_the_shared_body_is_dropped_once_it_expires(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ~30 KB a host held between scrapes for nothing (issue 15); shortened so the test is quick
    from api.routes import prom

    monkeypatch.setattr(prom, "CACHE_S", 1.0)
    app = client._transport.app  # type: ignore[attr-defined]
    first = (await client.get("/metrics")).content
    assert app.state.prom_cache["body"] == first  # kept as sent: UTF-8, one copy
    await asyncio.sleep(2.0)
    assert app.state.prom_cache == {}
    assert "node_load1" in (await client.get("/metrics")).text  # rendered again


async def test_freed_memory_is_released_once_a_rendered_body_expires(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api/memtrim.py runs once per rendering, when its shared body is dropped (the
    response sent, the rendering's garbage freed), in a thread; a cached answer adds none."""
    from api.routes import prom

    monkeypatch.setattr(prom, "CACHE_S", 0.5)  # shortened so the test is quick
    app = client._transport.app  # type: ignore[attr-defined]
    calls: list[bool] = []
    app.state.prom_release = lambda: calls.append(app.state.prom_cache == {})
    first = (await client.get("/metrics")).content
    assert (await client.get("/metrics")).content == first  # the shared body: no rendering
    assert calls == []
    for _ in range(100):
        if calls:
            break
        await asyncio.sleep(0.05)
    assert calls == [True]  # once, and after the body was dropped
    await client.get("/metrics")
    await asyncio.sleep(1.0)
    assert calls == [True, True]
