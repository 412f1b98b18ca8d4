"""Who is asking, and may they ask again: the `principal` dependency every route declares.

With auth off (loopback only, see security.check_bind) everyone is an admin, which is what a
single-user laptop install wants. With auth on, a bearer token or a server-side browser
session (api/sessions.py) is needed. Either way each request spends one from its client's
budget (api/ratelimit.py): a token's (a session counts as its token) when the credential
is good, else the client address's, so guessing tokens drains the guesser's own budget.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from api import sessions, tokens
from api.context import AppContext
from api.ratelimit import TokenBuckets
from api.security import SESSION_COOKIE, RateLimiter, Session, read_session

SESSION_CHECK_S = 10.0  # a page view trusts a session check this old (revocation delay)
# answered 401 rather than redirected to the sign-in form: machines read these
_MACHINE_PATHS = ("/api/", "/metrics", "/openapi.json")


@dataclass
class AuthState:
    """Auth runtime, built by create_app: token DB, cookie key, login limiter, API budgets."""

    engine: Engine | None
    key: bytes
    limiter: RateLimiter
    budgets: TokenBuckets | None = None  # None: web.rate_limit.enabled is off
    # session id -> (still active?, checked at) so each page view is not a DB hit
    checked: dict[str, tuple[bool, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Principal:
    role: str
    via: str  # "none" (auth off), "token" or "session"
    client: str  # whose budget and stream cap: "token:<id>" or "addr:<ip>"
    session: str | None = None  # the server-side session id, when via is "session"

    @property
    def is_admin(self) -> bool:
        return self.role == tokens.Role.admin


class LoginRequired(Exception):
    """A browser page needs a session: the handler redirects to the login form."""


def client_address(request: Request) -> str:
    # after uvicorn's ProxyHeadersMiddleware (web.trusted_proxies), the forwarded client
    return request.client.host if request.client else "?"


def _auth(request: Request) -> AuthState:
    auth: AuthState = request.app.state.auth
    return auth


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def _too_many(request: Request, wait: float) -> HTTPException:
    rate = _ctx(request).settings.rate_limit.requests_per_minute
    seconds = max(1, math.ceil(wait))
    return HTTPException(
        429,
        f"too many requests: this client may make {rate:g} a minute (web.rate_limit); "
        f"retry in {seconds} s",
        {"Retry-After": str(seconds)},
    )


def spend(request: Request, client: str) -> None:
    """Take one request from `client`'s budget, or raise 429 with Retry-After."""
    budgets = _auth(request).budgets
    if budgets is None:
        return
    wait = budgets.take(client, _ctx(request).monotonic())
    if wait:
        raise _too_many(request, wait)


def _check_address(request: Request, addr: str) -> None:
    # before a credential is looked up: an address that spent its budget on bad tokens
    # gets 429 without another database query
    budgets = _auth(request).budgets
    if budgets is not None and (wait := budgets.wait(addr, _ctx(request).monotonic())):
        raise _too_many(request, wait)


async def _session_active(
    auth: AuthState, session: Session, wall_now: float, fresh: bool = False
) -> bool:
    """`wall_now` is the app's clock, the one the session was issued on (AppContext.clock)."""
    now = time.monotonic()
    hit = auth.checked.get(session.sid)
    if hit and not fresh and now - hit[1] < SESSION_CHECK_S:
        return hit[0]
    if auth.engine is None:  # create_app opens the token store whenever auth is on
        raise RuntimeError("auth is enabled but no token store is open")
    active = await asyncio.to_thread(
        sessions.active, auth.engine, session.sid, session.token_id, wall_now
    )
    auth.checked[session.sid] = (active, now)
    return active


async def _credential(request: Request, auth: AuthState, addr: str) -> Principal | None:
    """The principal a good credential stands for; None when there is none or it is bad."""
    if auth.engine is None:
        raise RuntimeError("auth is enabled but no token store is open")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        info = await asyncio.to_thread(tokens.verify, auth.engine, header[7:].strip())
        if info is None:
            spend(request, addr)
            raise HTTPException(401, "invalid or revoked token", {"WWW-Authenticate": "Bearer"})
        return Principal(info.role, "token", f"token:{info.id}")
    session = read_session(auth.key, request.cookies.get(SESSION_COOKIE), _now(request))
    if session is not None and await _session_active(auth, session, _now(request)):
        return Principal(session.role, "session", f"token:{session.token_id}", session.sid)
    return None


async def principal(request: Request) -> Principal:
    addr = f"addr:{client_address(request)}"
    if not _ctx(request).settings.auth.enabled:
        spend(request, addr)
        return Principal(tokens.Role.admin, "none", addr)
    _check_address(request, addr)
    who = await _credential(request, _auth(request), addr)
    if who is None:
        spend(request, addr)
        if request.url.path.startswith(_MACHINE_PATHS):
            raise HTTPException(401, "authentication required", {"WWW-Authenticate": "Bearer"})
        raise LoginRequired()
    spend(request, who.client)
    return who


async def attributed(request: Request, who: Principal, claimed: str | None) -> str:
    """The name a change (silence, maintenance, ack) is recorded under.

    With auth on it is the person the token was given to (`token create --person`), not
    what the request body claims: anyone could claim anything. With auth off nobody is
    identified, and the claimed name is all there is."""
    if who.via == "none":
        return claimed or ""
    auth = _auth(request)
    token_id = int(who.client.removeprefix("token:"))
    info = await asyncio.to_thread(tokens.get, auth.engine, token_id) if auth.engine else None
    return info.who if info is not None else f"token {token_id}"


async def still_valid(request: Request, who: Principal) -> bool:
    """Is the credential behind a long-lived response (a live stream) still good? Asks the
    database, not the page-view cache, so a revoked token ends its streams on the next check."""
    auth = _auth(request)
    if who.via == "none":
        return True
    if auth.engine is None:
        return False
    if who.via == "token":
        header = request.headers.get("authorization", "")
        info = await asyncio.to_thread(tokens.verify, auth.engine, header[7:].strip())
        return info is not None
    session = read_session(auth.key, request.cookies.get(SESSION_COOKIE), _now(request))
    return session is not None and await _session_active(auth, session, _now(request), fresh=True)


def forget_session(auth: AuthState, sid: str) -> None:
    """Sign-out in this process: drop the cached verdict so the next request asks again."""
    auth.checked.pop(sid, None)


def _now(request: Request) -> float:
    """The app's wall clock (AppContext.clock): tests pin it to their data's instant."""
    ctx: AppContext = request.app.state.ctx
    return ctx.clock()
