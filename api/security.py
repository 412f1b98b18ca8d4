"""Browser security pieces with no FastAPI in them: signed sessions, CSRF, login rate limit,
response headers and the bind check. Pure functions and small classes, time passed in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from api.websettings import LOOPBACK, WebSettings

SESSION_COOKIE = "sshmon_session"
CSRF_COOKIE = "sshmon_csrf"
CSRF_FIELD = "csrf_token"

# No inline script or style anywhere: the pages load /static files only. uPlot sizes its
# canvas through element.style from script, which CSP allows (it governs markup, not CSSOM).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class InsecureBindError(Exception):
    """The web server would be reachable from the network without any login."""


def check_bind(settings: WebSettings) -> None:
    """Refuse a non-loopback bind without auth. `sshmon run`/`serve` call this before starting."""
    if settings.host not in LOOPBACK and not settings.auth.enabled:
        raise InsecureBindError(
            f"web.host is {settings.host!r}, which other machines can reach, and web.auth is "
            "off. Set `web: {auth: {enabled: true}}` and create a token with "
            "`sshmon token create --role admin`, or bind to 127.0.0.1."
        )


def load_secret(path: Path) -> bytes:
    """The session HMAC key: read, or created once with owner-only permissions."""
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


@dataclass(frozen=True)
class Session:
    token_id: int
    role: str
    expires: float
    sid: str = ""  # id of the server-side session (api/sessions.py) the cookie stands for


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_session(key: bytes, session: Session) -> str:
    fields = [session.token_id, session.role, session.expires, session.sid]
    body = _b64(json.dumps(fields).encode())
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def read_session(key: bytes, cookie: str | None, now: float) -> Session | None:
    """The session in a cookie if its MAC is ours and it has not expired."""
    if not cookie or "." not in cookie or len(cookie) > 512:
        return None
    body, _, mac = cookie.partition(".")
    good = hmac.new(key, body.encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(good, _unb64(mac)):
            return None
        token_id, role, expires, sid = json.loads(_unb64(body))
        session = Session(int(token_id), str(role), float(expires), str(sid))
    except (ValueError, TypeError):
        return None
    return session if session.expires > now else None


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_ok(cookie: str | None, submitted: str | None) -> bool:
    """Double-submit check: the form field must equal the cookie only our pages can read."""
    return bool(cookie and submitted) and hmac.compare_digest(str(cookie), str(submitted))


class RateLimiter:
    """At most `limit` events per `window` seconds per key (client address), sliding.

    Sign-in counts only failures (`record` after a bad token), so someone who signs in and
    out a few times is never locked out; `blocked` is checked before the token is.
    """

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:  # bounded memory under a spray of addresses
                self._events.clear()
            events = self._events[key] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked(self, key: str, now: float) -> bool:
        return len(self._recent(key, now)) >= self.limit

    def record(self, key: str, now: float) -> None:
        self._recent(key, now).append(now)

    def retry_after(self, key: str, now: float) -> int:
        events = self._events.get(key)
        if not events:
            return 0
        return max(1, int(events[0] + self.window - now) + 1)
