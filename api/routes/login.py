"""Browser sign-in: a form that takes an access token and sets a signed session cookie.

Signing in with a token (as Jupyter and many self-hosted tools do) keeps one credential
store: `sshmon token create` makes both API and browser access, and revoking a token ends
its sessions. Sessions live on the server (api/sessions.py): signing out ends one for good,
and its open live streams with it. Every POST form carries a CSRF token checked against a
cookie (double submit), and failed sign-in attempts are rate-limited per client address.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api import sessions, tokens
from api.auth import client_address, forget_session
from api.deps import Ctx, get_auth, get_ctx, templates
from api.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    Session,
    csrf_ok,
    new_csrf,
    read_session,
    sign_session,
)

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # only same-site paths: "//evil.example" and "https://…" would be open redirects
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _form(request: Request, next_url: str, error: str | None, status: int = 200) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"next": next_url, "error": error, "csrf": csrf, "csrf_field": CSRF_FIELD, "who": None},
        status_code=status,
    )
    secure = request.app.state.ctx.settings.cookies_secure()
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    return _form(request, _safe_next(next), None)


@router.post("/login")
async def login(
    request: Request,
    ctx: Ctx,
    token: Annotated[str, Form(max_length=200)] = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    auth = get_auth(request)
    next_url = _safe_next(next_url)
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        return _form(request, next_url, "The form expired; please try again.", 403)
    client = client_address(request)
    now = ctx.clock()
    if auth.limiter.blocked(client, now):
        wait = auth.limiter.retry_after(client, now)
        response = _form(request, next_url, f"Too many attempts; wait {wait} s.", 429)
        response.headers["Retry-After"] = str(wait)
        return response
    if not ctx.settings.auth.enabled or auth.engine is None:
        return RedirectResponse(next_url, 303)
    info = await asyncio.to_thread(tokens.verify, auth.engine, token.strip())
    if info is None:
        auth.limiter.record(client, now)  # only failures count: signing in often is fine
        return _form(request, next_url, "That token is not valid or was revoked.", 401)
    expires = now + ctx.settings.auth.session_hours * 3600
    sid = await asyncio.to_thread(sessions.start, auth.engine, info.id, now, expires)
    session = Session(info.id, str(info.role), expires, sid)
    response = RedirectResponse(next_url, 303)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(auth.key, session),
        max_age=int(ctx.settings.auth.session_hours * 3600),
        httponly=True,
        samesite="lax",  # lax so a link to a host page from chat opens signed in
        secure=ctx.settings.cookies_secure(),
    )
    # a fresh CSRF value after sign-in, so one seen before login is no longer good
    response.set_cookie(
        CSRF_COOKIE,
        new_csrf(),
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookies_secure(),
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        return Response("CSRF check failed", 403, media_type="text/plain")
    auth = get_auth(request)
    session = read_session(auth.key, request.cookies.get(SESSION_COOKIE), get_ctx(request).clock())
    if session is not None and session.sid and auth.engine is not None:
        # on the server, not only in this browser: a copy of the cookie dies with it
        await asyncio.to_thread(sessions.end, auth.engine, session.sid)
        forget_session(auth, session.sid)
        request.app.state.streams.end_session(session.sid)
    response = RedirectResponse(request.url_for("login_form").path, 303)
    response.delete_cookie(SESSION_COOKIE)
    return response
