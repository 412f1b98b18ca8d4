"""With auth on, every change (silence, maintenance, ack, expiry) is recorded under the
person the token was given to, whatever the request body claims."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import alertsdata
import httpx
import pytest
from fleetdata import Fleet

from alerts.runtime import AlertsRuntime
from api import tokens
from api.app import create_app
from api.context import AppContext

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "alerts"))
from alerts_helpers import Receiver

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
API = "/api/v1/alerts"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
async def rt(fleet: Fleet, tmp_path: Path, receiver: Receiver) -> AsyncIterator[AlertsRuntime]:
    runtime = alertsdata.build(fleet.inventory, tmp_path, receiver.url("ops"), clock=fleet.clock())
    await runtime.start()
    yield runtime
    await runtime.stop()


@pytest.fixture
async def client(auth_ctx: AppContext, rt: AlertsRuntime) -> AsyncIterator[httpx.AsyncClient]:
    auth_ctx.alerts = rt
    app = create_app(auth_ctx)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c,
    ):
        yield c


def _bearer(ctx: AppContext, person: str) -> dict[str, str]:
    engine = tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")
    _, token = tokens.create(engine, "ops laptop", tokens.Role.admin, time.time(), person=person)
    return {"Authorization": f"Bearer {token}"}


async def test_a_silence_records_the_tokens_person_not_the_claimed_author(
    client: httpx.AsyncClient, auth_ctx: AppContext
) -> None:
    ada = _bearer(auth_ctx, "Ada Lovelace")
    body = {"matcher": {"hosts": ["web-1"]}, "duration": "1h", "author": "mallory"}
    created = (await client.post(f"{API}/silences", json=body, headers=ada)).json()
    assert created["author"] == "Ada Lovelace"
    url = f"{API}/silences/{created['id']}"
    grace = _bearer(auth_ctx, "Grace Hopper")
    edited = (await client.patch(url, json={"comment": "longer"}, headers=grace)).json()
    assert edited["author"] == "Ada Lovelace" and edited["updated_by"] == "Grace Hopper"


async def test_maintenance_and_its_end_record_who(
    client: httpx.AsyncClient, auth_ctx: AppContext, rt: AlertsRuntime
) -> None:
    ada = _bearer(auth_ctx, "Ada Lovelace")
    window = {
        "name": "w",
        "matcher": {"hosts": ["web-1"]},
        "schedule": {"kind": "daily", "at": "02:00", "duration": 60},
    }
    w = (await client.post(f"{API}/maintenance", json=window, headers=ada)).json()
    assert w["author"] == "Ada Lovelace"
    r = await client.post(f"{API}/maintenance/{w['id']}/expire", headers=ada)
    assert r.status_code == 200
    windows = rt.engine.mutes.maintenance(time.time(), include_expired=True)
    [row] = [m for m in windows if m.id == w["id"]]
    assert row.updated_by == "Ada Lovelace"


async def test_a_token_without_a_person_is_named_by_what_it_is_for(
    client: httpx.AsyncClient, auth_ctx: AppContext
) -> None:
    anon = _bearer(auth_ctx, "")
    body = {"matcher": {"hosts": ["web-1"]}, "duration": "1h"}
    created = (await client.post(f"{API}/silences", json=body, headers=anon)).json()
    assert created["author"] == "token ops laptop"


def test_a_token_store_from_before_persons_gets_the_column(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "auth.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE api_tokens (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, "
            "role VARCHAR(20) NOT NULL, prefix VARCHAR(20) NOT NULL, hash VARCHAR(64) NOT NULL "
            "UNIQUE, created_at FLOAT NOT NULL, revoked_at FLOAT)"
        )
        conn.execute("INSERT INTO api_tokens VALUES (1, 'old', 'admin', 'p', 'h', 1.0, NULL)")
    engine = tokens.open_db(f"sqlite:///{db}")
    [old] = tokens.list_tokens(engine)
    assert old.person == "" and old.who == "token old"
