"""An optional structured access log: one JSON object per HTTP request (`web.access_log`).

Off by default: uvicorn's own access log stays off too (api/server.py), because at a
dashboard's polling rate it is mostly noise. When an operator wants one (auditing, a log
pipeline), a JSON line with fixed keys is what such pipelines parse without a grok pattern.
Query values of keys that may carry a secret are never written.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("sshmon.access")
SECRET_KEYS: Final = frozenset({"token", "access_token", "password", "csrf_token", "code"})


class AccessLog:
    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self.clock()
        status = 500  # what the client gets if the app fails before it answers
        sent = 0

        async def watch(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            log.info(json.dumps(_entry(scope, status, sent, self.clock() - started)))


def _entry(scope: Scope, status: int, sent: int, seconds: float) -> dict[str, object]:
    client = scope.get("client")
    return {
        "ts": round(time.time(), 3),
        "client": client[0] if client else None,
        "method": scope["method"],
        "path": scope["path"],
        "query": _query(scope.get("query_string", b"")),
        "status": status,
        "bytes": sent,
        "duration_ms": round(seconds * 1000, 3),
        "user_agent": _header(scope, b"user-agent"),
    }


def _query(raw: bytes) -> str:
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    return urlencode([(k, "***" if k.lower() in SECRET_KEYS else v) for k, v in pairs])


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None
