"""Dependencies, all in one place: the context, the templates, and who is asking.

Auth is one dependency (`viewer` / `admin`) that routers declare; api/auth.py decides who a
request comes from (with auth off, loopback only, everyone is an admin) and spends its
request budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from api.auth import AuthState, LoginRequired, Principal, principal
from api.context import AppContext
from api.format import FILTERS

__all__ = [
    "WEB_DIR",
    "Admin",
    "AuthState",
    "Ctx",
    "LoginRequired",
    "Principal",
    "Viewer",
    "get_auth",
    "get_ctx",
    "principal",
    "require_admin",
    "templates",
]

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


def _site_banner(request: Request) -> str | None:
    """`web.banner`, on every page (a demo or staging instance says so everywhere)."""
    ctx: AppContext | None = getattr(request.app.state, "ctx", None)
    return ctx.settings.banner if ctx is not None else None


_env.globals["site_banner"] = _site_banner


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def get_auth(request: Request) -> AuthState:
    auth: AuthState = request.app.state.auth
    return auth


Ctx = Annotated[AppContext, Depends(get_ctx)]


async def require_admin(who: Annotated[Principal, Depends(principal)]) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, "this needs an admin token")
    return who


Viewer = Depends(principal)
Admin = Depends(require_admin)
