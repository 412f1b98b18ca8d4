"""A web server cancelled in the middle of its graceful shutdown: what `sshmon run` does at a
second SIGTERM (the loop's end cancels every task still running, sshmon/run.py main). Its
app's lifespan must end as on a normal stop, and nothing may be printed as an error."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from liveserver import free_port

from api.app import create_app
from api.context import AppContext, WebSettings
from sshmon.server import serve


async def _serving(base: str, server: asyncio.Task[None]) -> None:
    async with httpx.AsyncClient(timeout=5) as probe:
        for _ in range(300):
            if server.done():
                server.result()
            try:
                await probe.get(f"{base}/healthz")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError("the server did not start")


async def test_a_server_cancelled_while_stopping_ends_its_lifespan_quietly(
    ctx: AppContext, capfd: pytest.CaptureFixture[str]
) -> None:
    ctx.settings = WebSettings(port=free_port())
    stop = asyncio.Event()
    server = asyncio.create_task(serve(create_app(ctx), ctx.settings, stop))
    await _serving(f"http://127.0.0.1:{ctx.settings.port}", server)
    watcher = ctx.hub.subscribe()  # a live stream; the lifespan's exit ends it
    capfd.readouterr()
    # the first signal: the orderly stop begins ...
    stop.set()
    await asyncio.sleep(0)
    # ... and the second ends the loop before it is over: every task still running is
    # cancelled at once, uvicorn's own among them
    mine = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not mine]
    assert server in leftovers and not server.done()
    for task in leftovers:
        task.cancel()
    _, stuck = await asyncio.wait(leftovers, timeout=10)
    assert not stuck, stuck
    assert watcher.dropped  # the lifespan's exit ran: streams ended as on a normal stop
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ERROR" not in err, err
