"""Serving the app inside an event loop someone else owns (`sshmon run` shares one loop
between the poller, the alert engine and the web server)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from api.context import WebSettings
from api.security import check_bind


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # the caller owns SIGTERM/SIGINT and sets `stop`; uvicorn must not take them over
        yield


async def serve(app: FastAPI, settings: WebSettings, stop: asyncio.Event) -> None:
    """Run uvicorn until `stop` is set, then shut it down gracefully.

    uvicorn's own signal handlers are left out: the caller owns SIGTERM/SIGINT and sets
    `stop`, so one signal stops the poller and the web server in the right order. Live
    streams are ended first (hub.close), or shutdown would wait on every open dashboard.
    Raises InsecureBindError before binding when the address is public and auth is off.
    """
    check_bind(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # X-Forwarded-* are only trusted when a proxy is configured
        timeout_graceful_shutdown=5,  # SSE streams never end by themselves
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        app.state.ctx.hub.close()
        server.should_exit = True
        await task
    else:
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopper
        task.result()  # re-raise a failure to bind
