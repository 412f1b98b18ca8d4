"""Live updates: the hub's fan-out and drop policy, and SSE through a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
import socket

import httpx
import pytest
from fleetdata import XSS_IFACE, Fleet

from api import hub as hub_module
from api.app import create_app
from api.context import AppContext, WebSettings
from api.hub import Hub
from api.security import InsecureBindError
from poller.points import HostState, Point, PollStatus
from sshmon.server import serve


def _status(host: str, ts: float = 100.0) -> PollStatus:
    return PollStatus(host, ts, HostState.OK, "", 0.1)


async def test_hub_filters_by_host_and_metric() -> None:
    hub = Hub()
    one = hub.subscribe("a", None)
    cpu_only = hub.subscribe(None, {"cpu_busy_percent"})
    points = [Point("cpu_busy_percent", "a", "", 100.0, 5.0), Point("load1", "a", "", 100.0, 1.0)]
    hub.publish("a", _status("a"), points)
    hub.publish("b", _status("b"), [Point("load1", "b", "", 100.0, 2.0)])
    first = one.queue.get_nowait()
    assert first is not None and len(first["points"]) == 2 and one.queue.empty()
    got = [cpu_only.queue.get_nowait(), cpu_only.queue.get_nowait()]
    assert [e["host"] for e in got if e] == ["a", "b"]
    assert got[0] is not None and got[0]["points"] == [["cpu_busy_percent", "", 100.0, 5.0]]


async def test_slow_subscriber_is_dropped_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_module, "QUEUE_SIZE", 3)
    hub = Hub()
    slow = hub.subscribe()
    for i in range(5):
        hub.publish("a", _status("a", i), [])
    assert slow.dropped and hub.subscribers == 0 and hub.dropped == 1
    assert slow.queue.get_nowait() is None  # the stream ends; the browser reconnects


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _read_events(response: httpx.Response, n: int) -> list[dict[str, object]]:
    events = []
    event_name = None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event_name = line[7:]
        elif line.startswith("data: ") and event_name == "poll":
            events.append(json.loads(line[6:]))
            if len(events) == n:
                return events
    return events


async def _until_listening(client: httpx.AsyncClient, server: asyncio.Task[None]) -> None:
    """Until uvicorn answers: it binds in the background, as soon as this machine lets it."""
    while True:
        assert not server.done(), server.result()  # a failed bind says why, not "timeout"
        try:
            await client.get("/healthz")
            return
        except httpx.ConnectError:
            await asyncio.sleep(0.02)


async def test_sse_over_a_real_server_and_clean_stop(fleet: Fleet, ctx: AppContext) -> None:
    settings = WebSettings(port=_free_port())
    ctx.settings = settings
    stop = asyncio.Event()
    server = asyncio.create_task(serve(create_app(ctx), settings, stop))
    base = f"http://127.0.0.1:{settings.port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        await asyncio.wait_for(_until_listening(client, server), 60)
        async with (
            client.stream("GET", "/api/v1/live", params={"view": "overview"}) as overview,
            client.stream("GET", "/api/v1/live", params={"host": "evil"}) as host,
        ):
            assert overview.headers["content-type"].startswith("text/event-stream")
            while ctx.hub.subscribers < 2:
                await asyncio.sleep(0.01)
            points = [
                Point("cpu_busy_percent", "evil", "", 200.0, 42.0),
                Point("net_rx_bytes_per_second", "evil", XSS_IFACE, 200.0, 1000.0),
                Point("net_rx_bytes_per_second", "evil", "lo", 200.0, 5.0),
            ]
            ctx.hub.publish("evil", _status("evil", 200.0), points)
            (row,) = await asyncio.wait_for(_read_events(overview, 1), 5)
            (raw,) = await asyncio.wait_for(_read_events(host, 1), 5)
    assert row["host"] == "evil" and row["cells"]["cpu"] == 42.0  # type: ignore[index]
    assert row["cells"]["net_in"] == 1000.0  # type: ignore[index]  # lo left out
    assert [XSS_IFACE in p for p in raw["points"]] == [False, True, False]  # type: ignore[union-attr]
    stop.set()
    await asyncio.wait_for(server, 10)


async def test_serve_refuses_a_public_bind_without_auth(ctx: AppContext) -> None:
    settings = WebSettings(host="0.0.0.0", port=_free_port())
    with pytest.raises(InsecureBindError):
        await serve(create_app(ctx), settings, asyncio.Event())


async def test_sparklines_are_seeded_from_the_store(ctx: AppContext, fleet: Fleet) -> None:
    app = create_app(ctx)
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app.state.sparks.seeded.wait(), 60)  # the background seeding
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            body = (await c.get("/api/v1/sparklines")).json()
    assert set(body["hosts"]) == {h.name for h in fleet.inventory.hosts}
    assert body["end"] == fleet.now - fleet.now % 60  # the app's clock, not the wall's
    web1 = body["hosts"]["web-1"]
    assert len(web1) == 60 and sum(v is not None for v in web1) >= 55
    assert all(0 <= v <= 100 for v in web1 if v is not None)
