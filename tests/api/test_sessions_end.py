"""Ending access ends it: sign-out kills the session on the server (a copied cookie stops
working), and a revoked token or a signed-out session stops its open live streams."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from liveserver import free_port, running

from api import tokens
from api.app import create_app
from api.context import AppContext, AuthSettings, WebSettings
from api.websettings import LiveSettings
from poller.points import HostState, PollStatus


def _engine(ctx: AppContext):  # type: ignore[no-untyped-def]
    return tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def _sign_in(client: httpx.AsyncClient, token: str) -> str:
    """Sign in through the form; returns the session cookie the browser now holds."""
    csrf = _csrf((await client.get("/login")).text)
    r = await client.post("/login", data={"token": token, "next": "/", "csrf_token": csrf})
    assert r.status_code == 303, r.text
    return client.cookies["sshmon_session"]


@pytest.fixture
async def app(auth_ctx: AppContext) -> AsyncIterator[httpx.ASGITransport]:
    application = create_app(auth_ctx)
    async with application.router.lifespan_context(application):
        yield httpx.ASGITransport(app=application)


async def test_a_cookie_copied_before_sign_out_no_longer_works(
    app: httpx.ASGITransport, auth_ctx: AppContext
) -> None:
    _, token = tokens.create(_engine(auth_ctx), "me", tokens.Role.admin, time.time())
    base = "http://127.0.0.1"
    async with httpx.AsyncClient(transport=app, base_url=base) as browser:
        stolen = await _sign_in(browser, token)
        page = await browser.get("/")
        assert page.status_code == 200
        r = await browser.post("/logout", data={"csrf_token": _csrf(page.text)})
        assert r.status_code == 303
    # whoever copied the cookie (a shared machine, a proxy log) replays it after sign-out
    async with httpx.AsyncClient(transport=app, base_url=base) as thief:
        thief.cookies.set("sshmon_session", stolen)
        assert (await thief.get("/api/v1/hosts")).status_code == 401
        r = await thief.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


async def test_signing_in_again_after_sign_out_works(
    app: httpx.ASGITransport, auth_ctx: AppContext
) -> None:
    _, token = tokens.create(_engine(auth_ctx), "me", tokens.Role.viewer, time.time())
    async with httpx.AsyncClient(transport=app, base_url="http://127.0.0.1") as browser:
        first = await _sign_in(browser, token)
        page = await browser.get("/")
        await browser.post("/logout", data={"csrf_token": _csrf(page.text)})
        second = await _sign_in(browser, token)
        assert second != first and (await browser.get("/api/v1/hosts")).status_code == 200


def _live_ctx(ctx: AppContext, recheck_s: float) -> AppContext:
    ctx.settings = WebSettings(
        port=free_port(),
        auth=AuthSettings(enabled=True),
        live=LiveSettings(recheck_seconds=recheck_s),
    )
    return ctx


async def _until_closed(stream: httpx.Response) -> list[str]:
    """Read the stream to its end (the server closed it); returns the event lines seen."""
    return [line async for line in stream.aiter_lines() if line.startswith("event:")]


async def _publish_until(ctx: AppContext, closed: asyncio.Task[list[str]]) -> None:
    # polls keep arriving as they would from the poller; the stream must end regardless
    ts = time.time()
    while not closed.done():
        ctx.hub.publish("web-1", PollStatus("web-1", ts, HostState.OK, "", 0.1), [])
        await asyncio.sleep(0.05)


async def test_revoking_a_token_ends_its_open_live_stream(ctx: AppContext) -> None:
    ctx = _live_ctx(ctx, recheck_s=0.2)
    engine = _engine(ctx)
    info, token = tokens.create(engine, "wallboard", tokens.Role.viewer, time.time())
    async with (
        running(ctx) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
        client.stream(
            "GET", "/api/v1/live", headers={"Authorization": f"Bearer {token}"}
        ) as stream,
    ):
        assert stream.status_code == 200
        closed = asyncio.create_task(_until_closed(stream))
        tokens.revoke(engine, info.id, time.time())  # what `sshmon token revoke` does
        await asyncio.wait_for(_publish_until(ctx, closed), 10)
        assert ctx.hub.subscribers == 0
        # reconnecting with it is refused
        r = await client.get("/api/v1/live", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


async def test_signing_out_ends_the_sessions_live_streams_at_once(ctx: AppContext) -> None:
    ctx = _live_ctx(ctx, recheck_s=3600)  # no periodic check helps here: sign-out must
    _, token = tokens.create(_engine(ctx), "me", tokens.Role.viewer, time.time())
    async with running(ctx) as base, httpx.AsyncClient(base_url=base, timeout=10) as browser:
        await _sign_in(browser, token)
        page = await browser.get("/")
        async with browser.stream("GET", "/api/v1/live", params={"view": "overview"}) as stream:
            assert stream.status_code == 200
            closed = asyncio.create_task(_until_closed(stream))
            r = await browser.post("/logout", data={"csrf_token": _csrf(page.text)})
            assert r.status_code == 303
            await asyncio.wait_for(_publish_until(ctx, closed), 10)
        assert ctx.hub.subscribers == 0
