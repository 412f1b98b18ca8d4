"""Request budgets: per token (a session spends its token's) or per client address, 429
with Retry-After past the burst, refilled as (injected) time passes; static files, health
checks and successful sign-ins are free; X-Forwarded-For only counts from a trusted proxy."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fleetdata import Fleet

from api import tokens
from api.app import create_app
from api.context import AppContext, AuthSettings, QueryPool
from api.websettings import RateLimitSettings, WebSettings

BURST = 5
PER_MINUTE = 60  # one a second after the burst


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


Client = Callable[..., AsyncIterator[httpx.AsyncClient]]


@pytest.fixture
def limited(fleet: Fleet, pool: QueryPool, tmp_path: Path, clock: Clock) -> Client:
    async def make(**web: object) -> AsyncIterator[httpx.AsyncClient]:
        limit = RateLimitSettings(requests_per_minute=PER_MINUTE, burst=BURST)
        settings = WebSettings(rate_limit=limit, **web)  # type: ignore[arg-type]
        ctx = AppContext(
            settings=settings,
            queries=pool,
            inventory=fleet.inventory,
            data_dir=tmp_path,
            monotonic=clock,
        )
        app = create_app(ctx)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
                c.ctx = ctx  # type: ignore[attr-defined]
                yield c

    return make


async def test_a_client_past_its_burst_gets_429_until_time_refills_it(
    limited: Client, clock: Clock
) -> None:
    async for client in limited():
        codes = [(await client.get("/api/v1/hosts")).status_code for _ in range(BURST + 1)]
        assert codes == [200] * BURST + [429]
        r = await client.get("/api/v1/hosts")
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert "web.rate_limit" in r.json()["detail"]
        page = await client.get("/")  # pages share the budget, and say so as a page
        assert page.status_code == 429 and page.headers["retry-after"] == "1"
        clock.now += 1.0
        assert (await client.get("/api/v1/hosts")).status_code == 200
        assert (await client.get("/api/v1/hosts")).status_code == 429


async def test_static_files_and_health_checks_do_not_spend(limited: Client) -> None:
    async for client in limited():
        for _ in range(3 * BURST):
            assert (await client.get("/static/js/overview.js")).status_code == 200
            assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/api/v1/hosts")).status_code == 200


def _token(ctx: AppContext) -> dict[str, str]:
    engine = tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")
    _, token = tokens.create(engine, "t", tokens.Role.viewer, time.time())
    return {"Authorization": f"Bearer {token}"}


async def test_each_token_has_its_own_budget(limited: Client) -> None:
    async for client in limited(host="0.0.0.0", auth=AuthSettings(enabled=True)):
        ctx: AppContext = client.ctx  # type: ignore[attr-defined]
        first, second = _token(ctx), _token(ctx)
        for _ in range(BURST):
            assert (await client.get("/api/v1/hosts", headers=first)).status_code == 200
        assert (await client.get("/api/v1/hosts", headers=first)).status_code == 429
        # same address, another token: its own budget
        assert (await client.get("/api/v1/hosts", headers=second)).status_code == 200


async def test_guessing_tokens_spends_the_guessers_address(limited: Client) -> None:
    async for client in limited(host="0.0.0.0", auth=AuthSettings(enabled=True)):
        codes = [
            (
                await client.get(
                    "/api/v1/hosts", headers={"Authorization": f"Bearer sshmon_guess{i}"}
                )
            ).status_code
            for i in range(BURST + 2)
        ]
        assert codes == [401] * BURST + [429, 429]


async def test_forwarded_for_counts_only_from_a_trusted_proxy(limited: Client) -> None:
    # no proxy configured: a client that invents X-Forwarded-For still spends its own budget
    async for client in limited():
        codes = [
            (
                await client.get("/api/v1/hosts", headers={"X-Forwarded-For": f"203.0.113.{i}"})
            ).status_code
            for i in range(BURST + 1)
        ]
        assert codes[-1] == 429
    # behind a trusted proxy (the test client connects from 127.0.0.1): per forwarded client
    async for client in limited(trusted_proxies=["127.0.0.0/8"]):
        alice = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(BURST):
            assert (await client.get("/api/v1/hosts", headers=alice)).status_code == 200
        assert (await client.get("/api/v1/hosts", headers=alice)).status_code == 429
        bob = {"X-Forwarded-For": "198.51.100.9, 127.0.0.1"}  # through two of our proxies
        assert (await client.get("/api/v1/hosts", headers=bob)).status_code == 200


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def test_successful_sign_ins_are_not_counted(limited: Client) -> None:
    async for client in limited(host="0.0.0.0", auth=AuthSettings(enabled=True)):
        ctx: AppContext = client.ctx  # type: ignore[attr-defined]
        engine = tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")
        _, token = tokens.create(engine, "me", tokens.Role.viewer, time.time())
        attempts = ctx.settings.auth.login_attempts_per_minute
        for _ in range(attempts + 3):
            csrf = _csrf((await client.get("/login")).text)
            r = await client.post("/login", data={"token": token, "csrf_token": csrf})
            assert r.status_code == 303
            client.cookies.delete("sshmon_session")
        csrf = _csrf((await client.get("/login")).text)
        bad = [
            (
                await client.post("/login", data={"token": "sshmon_wrong", "csrf_token": csrf})
            ).status_code
            for _ in range(attempts + 1)
        ]
        assert bad == [401] * attempts + [429]
