"""Security headers on every response, as plain ASGI so streaming (SSE) is left alone."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.security import SECURITY_HEADERS

_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        # HSTS only when we know the site is served over TLS (web.base_url is https)
        self.extra = [*_HEADERS, _HSTS] if hsts else _HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in self.extra if h[0] not in names),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
