"""The real app under uvicorn (sshmon.server.serve) on this test's event loop, listening on a
free loopback port: for attacks that need real sockets, Host headers, TLS or open streams."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import AsyncIterator

import httpx

from api.app import create_app
from api.context import AppContext
from sshmon.server import serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def running(ctx: AppContext, verify: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    """Serve `ctx` (its settings name the port) until the block ends; yields the base URL."""
    stop = asyncio.Event()
    server = asyncio.create_task(serve(create_app(ctx), ctx.settings, stop))
    scheme = "https" if ctx.settings.tls else "http"
    base = f"{scheme}://127.0.0.1:{ctx.settings.port}"
    deadline = asyncio.get_running_loop().time() + 15
    async with httpx.AsyncClient(verify=verify or True, timeout=5) as probe:
        while True:
            if server.done():
                server.result()  # a failed start raises here
            try:
                await probe.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.05)
    try:
        yield base
    finally:
        stop.set()
        await asyncio.wait_for(server, 15)
