"""GET /metrics: sshmon's own health lines plus every host under node_exporter names."""

from __future__ import annotations

import httpx
from fleetdata import Fleet

from api.context import AppContext
from parsers import proc_loadavg
from poller.points import HostState, PollStatus

SELF = "# HELP sshmon_up_hosts Hosts up.\n# TYPE sshmon_up_hosts gauge\nsshmon_up_hosts 4\n"


def _samples(body: str, name: str) -> dict[str, float]:
    out = {}
    for line in body.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            out[labels[len(name) :]] = float(value)
    return out


async def test_self_metrics_then_host_gauges_from_the_store(
    ctx: AppContext, client: httpx.AsyncClient, fleet: Fleet
) -> None:
    ctx.self_metrics = lambda: SELF
    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "text/plain; version=0.0.4"
    )
    body = r.text
    assert body.startswith(SELF)
    load1 = _samples(body, "node_load1")
    assert set(load1) == {f'{{instance="{h.name}"}}' for h in fleet.inventory.hosts}
    fs = _samples(body, "node_filesystem_size_bytes")
    # byte sizes are stored exactly (poller/catalog.py precision), never rounded
    assert fs['{instance="db-1",mountpoint="/var/lib/postgresql"}'] == 100 * 1024**3
    assert body.count("# TYPE node_load1 gauge") == 1  # one family across hosts


async def test_published_readings_win_over_the_store(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    readings = {"loadavg": proc_loadavg.parse("7.25 3.50 1.75 2/300 4242\n")}
    ctx.hub.publish("web-1", PollStatus("web-1", 1.0, HostState.OK, "", 0.1), [], readings)
    body = (await client.get("/metrics")).text
    assert _samples(body, "node_load1")['{instance="web-1"}'] == 7.25
    assert _samples(body, "node_load15")['{instance="web-1"}'] == 1.75
    # other hosts still come from the store
    assert '{instance="web-2"}' in _samples(body, "node_load1")


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
