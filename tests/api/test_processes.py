"""Top processes: the endpoint runs the composition's `ps` runner once per host per few
seconds and serves both top lists from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fleetdata import Fleet

from api.app import create_app
from api.context import AppContext
from poller.errors import Unreachable

CAPTURE = (Path(__file__).parent / "fixtures" / "ps.procps").read_text()


async def _client(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ctx)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c,
    ):
        yield c


@pytest.fixture
async def ps_client(ctx: AppContext) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    calls: list[str] = []

    async def run_ps(host: str) -> str:
        calls.append(host)
        if host == "down-1":
            raise Unreachable("connect: No route to host")
        return CAPTURE

    ctx.top_processes = run_ps
    async for c in _client(ctx):
        yield c, calls


async def test_top_by_cpu_and_memory(ps_client: tuple[httpx.AsyncClient, list[str]]) -> None:
    client, calls = ps_client
    body = (await client.get("/api/v1/hosts/web-1/processes", params={"n": 5})).json()
    assert calls == ["web-1"] and body["count"] == 39 and body["has_cpu"]
    assert len(body["by_cpu"]) == 5 and len(body["by_memory"]) == 5
    rss = [p["rss_bytes"] for p in body["by_memory"]]
    assert rss == sorted(rss, reverse=True) and rss[0] > 0


async def test_refresh_storm_runs_ps_once(ps_client: tuple[httpx.AsyncClient, list[str]]) -> None:
    client, calls = ps_client
    for _ in range(3):
        assert (await client.get("/api/v1/hosts/web-2/processes")).status_code == 200
    assert calls == ["web-2"]


async def test_unreachable_host_is_a_502_with_the_reason(
    ps_client: tuple[httpx.AsyncClient, list[str]],
) -> None:
    client, _ = ps_client
    r = await client.get("/api/v1/hosts/down-1/processes")
    assert r.status_code == 502 and "No route to host" in r.json()["detail"]


async def test_without_a_poller_it_says_so(client: httpx.AsyncClient, fleet: Fleet) -> None:
    r = await client.get("/api/v1/hosts/web-1/processes")
    assert r.status_code == 503 and "sshmon run" in r.json()["detail"]
