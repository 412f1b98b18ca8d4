"""The `web:` section of the config: where the app listens, under which names, who may use
it and how much. Validated once by pydantic, so a bad value names its key and line."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
# a listen address that means "every interface": the machine answers on all its addresses
WILDCARD = frozenset({"0.0.0.0", "::", ""})


class AuthSettings(BaseModel):
    """`web.auth:`. Off by default, which is only allowed on a loopback address."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # logins and API tokens; required when web.host is not a loopback address
    enabled: bool = False
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the token store; default sqlite:///<data>/auth.db",
    )
    # a browser session ends this long after login
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    # failed logins allowed per client per minute
    login_attempts_per_minute: int = Field(default=5, ge=1, le=1000)
    secure_cookies: bool | None = Field(
        default=None,
        description="Secure flag on the session cookie; None: on when served over TLS",
    )


class RateLimitSettings(BaseModel):
    """`web.rate_limit:`: a token bucket per client (its token, else its address)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # limit API requests per client
    enabled: bool = True
    # steady rate each client may keep up
    requests_per_minute: float = Field(default=100, gt=0, le=1_000_000)
    # a page load fans out into several API calls (a host page asks for every chart at
    # once), so a client may spend this many at once before the per-minute rate applies
    burst: int = Field(default=60, ge=1, le=1_000_000)


class LiveSettings(BaseModel):
    """`web.live:`: Server-Sent Event streams, each holding a connection and a queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # open live-update streams, all clients together
    max_streams: int = Field(default=100, ge=1, le=100_000)
    # browsers open at most 6 HTTP/1.1 connections per site, so 10 covers a few tabs
    max_streams_per_client: int = Field(default=10, ge=1, le=100_000)
    # how often an open stream checks that its token or session is still good
    recheck_seconds: float = Field(default=10, gt=0, le=3600)


class WebSettings(BaseModel):
    """The `web:` section of the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # address to listen on; anything but loopback requires web.auth
    host: str = "127.0.0.1"
    # TCP port of the dashboard and API
    port: int = Field(default=8080, ge=1, le=65535)
    base_url: str | None = Field(
        default=None, description="public URL, e.g. https://mon.example.com"
    )
    allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="Host names (besides loopback, web.host and base_url's host) the app "
        "answers to; `*.example.com` matches subdomains. Anything else gets 400.",
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description="Addresses or networks of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed",
    )
    tls_cert: Path | None = Field(default=None, description="PEM certificate chain: serve HTTPS")
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert")
    session_secret_file: Path | None = Field(
        default=None,
        description="HMAC key for session cookies; default <data>/session.key (created)",
    )
    # logins, sessions and API tokens
    auth: AuthSettings = Field(default_factory=AuthSettings)
    # requests per client
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    # live-update streams
    live: LiveSettings = Field(default_factory=LiveSettings)
    access_log: bool = Field(
        default=False,
        description="One JSON line per request on the sshmon.access logger (off by default)",
    )
    banner: str | None = Field(
        default=None,
        max_length=200,
        description="A line shown at the top of every page (\"staging\", \"demo fleet\")",
    )
    # threads running store queries for the web app
    query_threads: int = Field(default=4, ge=1, le=64)
    # points per series in one chart at most (longer ranges read rollups)
    max_points: int = Field(default=2000, ge=10, le=100_000)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{value!r} is not an http(s) URL like https://mon.example.com")
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> Self:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        return self

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    def https(self) -> bool:
        """Browsers reach us over TLS: served directly, or behind a proxy at an https URL."""
        return self.tls or bool(self.base_url and self.base_url.startswith("https://"))

    def cookies_secure(self) -> bool:
        if self.auth.secure_cookies is not None:
            return self.auth.secure_cookies
        return self.https()

    def listen_url(self) -> str:
        """Where the dashboard listens, for the start-up log line."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{shown}:{self.port}/"
