"""Live streams are capped per client and in total: past the caps a stream is refused with
a status and a message that say which cap, and a closed stream frees its place."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
from liveserver import free_port, running

from api import tokens
from api.context import AppContext, AuthSettings, WebSettings
from api.websettings import LiveSettings


async def _until(predicate: object, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10
    while not predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.01)


async def test_streams_beyond_the_caps_are_refused(ctx: AppContext) -> None:
    ctx.settings = WebSettings(
        port=free_port(),
        auth=AuthSettings(enabled=True),
        live=LiveSettings(max_streams=3, max_streams_per_client=2),
    )
    engine = tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")
    greedy, other = (
        {"Authorization": f"Bearer {tokens.create(engine, n, tokens.Role.viewer, time.time())[1]}"}
        for n in ("greedy", "other")
    )
    async with (
        running(ctx) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        contextlib.AsyncExitStack() as streams,
    ):

        async def open_stream(headers: dict[str, str]) -> httpx.Response:
            return await streams.enter_async_context(
                client.stream("GET", "/api/v1/live", headers=headers)
            )

        first = await open_stream(greedy)
        await open_stream(greedy)
        assert first.status_code == 200
        refused = await client.get("/api/v1/live", headers=greedy)
        assert refused.status_code == 429 and refused.headers["retry-after"]
        assert "max_streams_per_client" in refused.json()["detail"]

        await open_stream(other)
        full = await client.get("/api/v1/live", headers=other)
        assert full.status_code == 503 and "web.live.max_streams" in full.json()["detail"]
        assert ctx.hub.subscribers == 3

        await first.aclose()  # the browser closes a tab: its place is free again
        await _until(lambda: ctx.hub.subscribers == 2, "the closed stream to be let go")
        again = await open_stream(greedy)
        assert again.status_code == 200
