"""Serving the app inside an event loop someone else owns (`sshmon run` shares one loop
between the poller, the alert engine and the web server)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import ssl
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from api.context import WebSettings
from api.security import check_bind

# Why a bind fails, in words a user acts on; other errors use the system's own text.
_REASONS = {
    errno.EADDRINUSE: "address already in use",
    errno.EACCES: "permission denied (ports below 1024 need privileges)",
    errno.EADDRNOTAVAIL: "no such address on this machine",
}


class ListenError(Exception):
    """The web address cannot be bound: taken, not this machine's, or not allowed."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        shown = f"[{host}]" if ":" in host else host
        super().__init__(
            f"cannot listen on {shown}:{port}: {reason}; "
            "choose another with --listen HOST:PORT or web.host/web.port"
        )


class TLSFileError(ListenError):
    """web.tls_cert / web.tls_key cannot be loaded: missing, unreadable or not a pair."""

    def __init__(self, reason: str) -> None:  # its own message, not "cannot listen on"
        Exception.__init__(self, f"cannot serve HTTPS: web.tls_cert/web.tls_key: {reason}")


def check_tls(settings: WebSettings) -> None:
    """Load the certificate and key once before binding, so a wrong path or a key that
    does not match is one clear error rather than a traceback from inside uvicorn."""
    if settings.tls_cert is None or settings.tls_key is None:
        return
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except OSError as exc:  # ssl.SSLError is an OSError too
        raise TLSFileError(exc.strerror or str(exc)) from None


def listen(settings: WebSettings) -> socket.socket:
    """Bind and listen on the web address now, so a taken port is a one-line error before
    anything starts or announces the dashboard (uvicorn, left to bind itself, logs the error
    and calls sys.exit inside its task). Raises InsecureBindError or ListenError."""
    check_bind(settings)
    check_tls(settings)
    host, port = settings.host, settings.port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ListenError(host, port, f"unknown address ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # as uvicorn does: a restart must not wait out TIME_WAIT; a live listener still
        # makes bind fail with EADDRINUSE on Linux
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        reason = _REASONS.get(exc.errno or 0) or os.strerror(exc.errno or 0).lower()
        raise ListenError(host, port, reason) from None
    return sock


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # the caller owns SIGTERM/SIGINT and sets `stop`; uvicorn must not take them over
        yield


async def serve(
    app: FastAPI, settings: WebSettings, stop: asyncio.Event, sock: socket.socket | None = None
) -> None:
    """Run uvicorn on `sock` (bound by `listen`; bound here when None) until `stop` is set,
    then shut it down gracefully.

    uvicorn's own signal handlers are left out: the caller owns SIGTERM/SIGINT and sets
    `stop`, so one signal stops the poller and the web server in the right order. Live
    streams are ended first (hub.close), or shutdown would wait on every open dashboard.
    Raises InsecureBindError before binding when the address is public and auth is off.

    The app's lifespan is entered here, not by uvicorn (`lifespan="off"`). A second SIGTERM
    ends `sshmon run` without waiting for the web server's graceful shutdown, and the
    loop's end then cancels whatever still runs: uvicorn's lifespan task, cancelled while
    it waits for the shutdown message, had Starlette send the CancelledError's traceback
    as "shutdown failed", which uvicorn logged as an ERROR. Here a cancel just runs the
    lifespan's exit.
    """
    sock = sock or listen(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="off",
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # X-Forwarded-* are only trusted from web.trusted_proxies (app.py)
        timeout_graceful_shutdown=5,  # SSE streams never end by themselves
        # HTTPS served directly; uvicorn wraps our pre-bound socket with this certificate
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    server = _Server(config)
    async with app.router.lifespan_context(app):
        task = asyncio.create_task(server.serve(sockets=[sock]))
        stopper = asyncio.create_task(stop.wait())
        try:
            done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper in done:
                app.state.ctx.hub.close()
                server.should_exit = True
                await task
            else:
                task.result()  # re-raise a failure to bind
        finally:
            # cancelled (the loop's end, after a second signal): the server with it
            for leftover in (stopper, task):
                leftover.cancel()
            await asyncio.wait({stopper, task})
            if not task.cancelled():
                task.exception()  # retrieved: a failure was raised above already
            sock.close()  # uvicorn's shutdown closes it, unless it was cancelled first
