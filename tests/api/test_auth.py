"""Auth: bind check, hashed bearer tokens with roles, login sessions, CSRF, rate limit."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text

from api import tokens
from api.app import create_app
from api.context import AppContext, AuthSettings, WebSettings
from api.security import InsecureBindError, Session, check_bind, read_session, sign_session


def test_public_bind_without_auth_is_refused() -> None:
    with pytest.raises(InsecureBindError, match=r"0\.0\.0\.0"):
        check_bind(WebSettings(host="0.0.0.0"))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_needs_no_auth(host: str) -> None:
    check_bind(WebSettings(host=host))


def test_public_bind_with_auth_is_allowed() -> None:
    check_bind(WebSettings(host="0.0.0.0", auth=AuthSettings(enabled=True)))


@pytest.fixture
async def app_client(auth_ctx: AppContext) -> AsyncIterator[tuple[httpx.AsyncClient, AppContext]]:
    app = create_app(auth_ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c, auth_ctx


def _engine(ctx: AppContext):  # type: ignore[no-untyped-def]
    return tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")


async def test_api_needs_a_token(app_client: tuple[httpx.AsyncClient, AppContext]) -> None:
    client, _ = app_client
    r = await client.get("/api/v1/hosts")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/healthz")).status_code == 200  # probes stay open


async def test_viewer_token_reads_and_revoked_token_does_not(
    app_client: tuple[httpx.AsyncClient, AppContext],
) -> None:
    client, ctx = app_client
    engine = _engine(ctx)
    info, token = tokens.create(engine, "ci", tokens.Role.viewer, time.time())
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/hosts", headers=headers)).status_code == 200
    assert tokens.revoke(engine, info.id, time.time())
    assert (await client.get("/api/v1/hosts", headers=headers)).status_code == 401
    bad = {"Authorization": "Bearer sshmon_not-a-real-token"}
    assert (await client.get("/api/v1/hosts", headers=bad)).status_code == 401


def test_tokens_are_stored_hashed(tmp_path: object) -> None:
    engine = tokens.open_db(f"sqlite:///{tmp_path}/t.db")
    info, token = tokens.create(engine, "x", tokens.Role.admin, 1.0)
    with engine.connect() as conn:
        dump = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM api_tokens")) for v in row
        )
    assert token not in dump and token[len(tokens.TOKEN_PREFIX) :] not in dump
    assert tokens.verify(engine, token) == info
    assert [t.id for t in tokens.list_tokens(engine)] == [info.id]


def test_session_cookie_is_signed_and_expires() -> None:
    key = b"k" * 32
    cookie = sign_session(key, Session(7, "viewer", 100.0))
    assert read_session(key, cookie, 50.0) == Session(7, "viewer", 100.0)
    assert read_session(key, cookie, 150.0) is None  # expired
    assert read_session(b"x" * 32, cookie, 50.0) is None  # another key
    _, mac = cookie.split(".")
    forged = sign_session(b"x" * 32, Session(7, "admin", 100.0)).split(".")[0] + "." + mac
    assert read_session(key, forged, 50.0) is None


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def test_browser_login_flow(app_client: tuple[httpx.AsyncClient, AppContext]) -> None:
    client, ctx = app_client
    _, token = tokens.create(_engine(ctx), "me", tokens.Role.viewer, time.time())
    r = await client.get("/hosts/web-1?range=6h")
    assert (
        r.status_code == 303
        and r.headers["location"] == "/login?next=%2Fhosts%2Fweb-1%3Frange%3D6h"
    )
    form = await client.get("/login")
    csrf = _csrf(form.text)
    r = await client.post(
        "/login", data={"token": token, "next": "/hosts/web-1", "csrf_token": csrf}
    )
    assert r.status_code == 303 and r.headers["location"] == "/hosts/web-1"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("sshmon_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; on with an https base_url
    page = await client.get("/hosts/web-1")
    assert page.status_code == 200 and "Sign out" in page.text
    # sign out is a POST form with a CSRF token: without it nothing happens
    assert (await client.post("/logout")).status_code == 403
    r = await client.post("/logout", data={"csrf_token": _csrf(page.text)})
    assert r.status_code == 303
    client.cookies.delete("sshmon_session")
    assert (await client.get("/")).status_code == 303


async def test_login_rejects_missing_csrf_and_wrong_token(
    app_client: tuple[httpx.AsyncClient, AppContext],
) -> None:
    client, _ = app_client
    r = await client.post("/login", data={"token": "sshmon_x", "csrf_token": "forged"})
    assert r.status_code == 403
    csrf = _csrf((await client.get("/login")).text)
    r = await client.post("/login", data={"token": "sshmon_wrong", "csrf_token": csrf})
    assert r.status_code == 401 and "not valid" in r.text


async def test_login_is_rate_limited(app_client: tuple[httpx.AsyncClient, AppContext]) -> None:
    client, ctx = app_client
    csrf = _csrf((await client.get("/login")).text)
    codes = [
        (
            await client.post("/login", data={"token": "sshmon_wrong", "csrf_token": csrf})
        ).status_code
        for _ in range(ctx.settings.auth.login_attempts_per_minute + 2)
    ]
    assert codes[:5] == [401] * 5 and codes[-1] == 429


async def test_login_refuses_open_redirects(
    app_client: tuple[httpx.AsyncClient, AppContext],
) -> None:
    client, ctx = app_client
    _, token = tokens.create(_engine(ctx), "me", tokens.Role.viewer, time.time())
    csrf = _csrf((await client.get("/login")).text)
    r = await client.post(
        "/login", data={"token": token, "next": "//evil.example/", "csrf_token": csrf}
    )
    assert r.headers["location"] == "/"


def test_secure_cookies_behind_tls() -> None:
    assert WebSettings(base_url="https://mon.example.com").cookies_secure()
    assert not WebSettings(base_url="http://10.0.0.1:8080").cookies_secure()
