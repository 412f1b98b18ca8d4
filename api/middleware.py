"""Security headers on every response, as plain ASGI so streaming (SSE) is left alone."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security import SECURITY_HEADERS

_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False, no_store: bool = False) -> None:
        self.app = app
        # HSTS only when we know the site is served over TLS (directly or at an https
        # base_url): sent over plain http it would lock browsers out of a site without TLS
        self.extra = [*_HEADERS, _HSTS] if hsts else _HEADERS
        # with auth on, what a response shows is for its signed-in reader only: a shared
        # proxy or the browser's disk cache must not keep it for the next person
        self.no_store = no_store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.extra
        if self.no_store and not scope["path"].startswith("/static/"):
            extra = [*extra, _NO_STORE]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in extra if h[0] not in names),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
