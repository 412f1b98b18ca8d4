"""Answer only to the names the instance is served under: the defence against DNS rebinding.

A page on evil.example can make its own name resolve to 127.0.0.1 a second later; the
browser then sends that page's requests to us as same-origin, with `Host: evil.example`.
Without auth (the loopback default) nothing else stops it reading the API, so every request
whose Host is not one of ours gets 400 before any route runs.

Starlette's TrustedHostMiddleware does the same job but splits the port off at the first
colon, which turns `[::1]:8080` into `[`; this one parses the header as a URL authority.
IP literals are accepted when we listen on every interface: rebinding needs a name, and a
browser that sends `Host: 10.0.0.5` was pointed at that address itself.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.websettings import LOOPBACK, WILDCARD, WebSettings


def allowed_names(settings: WebSettings) -> frozenset[str]:
    """Lower-case host names (no port, IPv6 without brackets) this instance answers to."""
    names = set(LOOPBACK) | {n.lower().strip("[]") for n in settings.allowed_hosts}
    if settings.host not in WILDCARD:
        names.add(settings.host.lower().strip("[]"))
    if settings.base_url:
        base = urlsplit(settings.base_url).hostname
        if base:
            names.add(base.lower())
    return frozenset(names)


def host_name(header: str) -> str | None:
    """The name in a Host header ("[::1]:8080" -> "::1"), or None when it is malformed."""
    if not header or any(c in header for c in "/?#@\\ \t"):
        return None
    try:
        parts = urlsplit(f"//{header}")
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return None
    return parts.hostname


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostCheck:
    """Plain ASGI, so the live SSE stream passes through untouched."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.names = allowed_names(settings)
        self.wildcards = tuple(n[1:] for n in self.names if n.startswith("*."))
        self.any_ip = settings.host in WILDCARD

    def allows(self, header: str) -> bool:
        name = host_name(header)
        if name is None:
            return False
        return (
            name in self.names
            or (self.any_ip and _is_ip(name))
            or any(name.endswith(w) for w in self.wildcards)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = ""
        for key, value in scope["headers"]:
            if key == b"host":
                header = value.decode("latin-1")
                break
        if self.allows(header):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            f"Host {header[:100]!r} is not a name this sshmon is served under "
            "(add it to web.allowed_hosts or set web.base_url)\n",
            400,
        )
        await response(scope, receive, send)
