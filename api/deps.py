"""Dependencies, all in one place: the context, the templates, and who is asking.

Auth is one dependency (`viewer` / `admin`) that routers declare; with auth off (loopback
only, see security.check_bind) everyone is an admin, which is what a single-user laptop
install wants.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from api import tokens
from api.context import AppContext
from api.format import FILTERS
from api.security import SESSION_COOKIE, RateLimiter, read_session

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
# autoescape everywhere, not only for *.html: every host, mount and interface name that came
# from a target or the inventory is escaped by the engine, never by hand
_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters.update(FILTERS)
templates = Jinja2Templates(env=_env)


@jinja2.pass_context
def _url_for(context: dict[str, Any], name: str, /, **params: Any) -> str:
    # paths, not absolute URLs: links must not follow a Host header the client chose
    request: Request = context["request"]
    return request.url_for(name, **params).path


_env.globals["url_for"] = _url_for
SESSION_CHECK_S = 10.0  # a revoked token ends its sessions within this long


@dataclass
class AuthState:
    """Auth runtime, built by create_app: token DB, cookie key, login limiter."""

    engine: Engine | None
    key: bytes
    limiter: RateLimiter
    # token id -> (still active?, checked at) so each page view is not a DB hit
    checked: dict[int, tuple[bool, float]]


@dataclass(frozen=True)
class Principal:
    role: str
    via: str  # "none" (auth off), "token" or "session"

    @property
    def is_admin(self) -> bool:
        return self.role == tokens.Role.admin


class LoginRequired(Exception):
    """A browser page needs a session: the handler redirects to the login form."""


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def get_auth(request: Request) -> AuthState:
    auth: AuthState = request.app.state.auth
    return auth


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def _token_active(auth: AuthState, token_id: int) -> bool:
    now = time.monotonic()
    hit = auth.checked.get(token_id)
    if hit and now - hit[1] < SESSION_CHECK_S:
        return hit[0]
    if auth.engine is None:  # create_app opens the token store whenever auth is on
        raise RuntimeError("auth is enabled but no token store is open")
    info = await asyncio.to_thread(tokens.get, auth.engine, token_id)
    active = info is not None and info.active
    auth.checked[token_id] = (active, now)
    return active


async def principal(request: Request) -> Principal:
    ctx = get_ctx(request)
    if not ctx.settings.auth.enabled:
        return Principal(tokens.Role.admin, "none")
    auth = get_auth(request)
    if auth.engine is None:
        raise RuntimeError("auth is enabled but no token store is open")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        info = await asyncio.to_thread(tokens.verify, auth.engine, header[7:].strip())
        if info is None:
            raise HTTPException(401, "invalid or revoked token", {"WWW-Authenticate": "Bearer"})
        return Principal(info.role, "token")
    session = read_session(auth.key, request.cookies.get(SESSION_COOKIE), ctx.clock())
    if session is not None and await _token_active(auth, session.token_id):
        return Principal(session.role, "session")
    if request.url.path.startswith("/api/") or request.url.path == "/metrics":
        raise HTTPException(401, "authentication required", {"WWW-Authenticate": "Bearer"})
    raise LoginRequired()


async def require_admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, "this needs an admin token")
    return who


Viewer = Depends(principal)
Admin = Depends(require_admin)
