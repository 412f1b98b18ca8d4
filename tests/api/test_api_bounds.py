"""Numbers a client sends are bounded before they reach SQLite or a date function: the
inputs schemathesis found turning into 500s, each replayed as a client would send it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import alertsdata
import httpx
import pytest
from fleetdata import Fleet

from alerts import service
from alerts.runtime import AlertsRuntime
from alerts.silences import Matcher
from api.app import create_app
from api.context import AppContext

API = "/api/v1/alerts"
TOO_BIG_ID = 2**63
MATCHER = {"hosts": ["web-1"]}


@pytest.fixture
async def api(ctx: AppContext, fleet: Fleet, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    rt: AlertsRuntime = alertsdata.build(fleet.inventory, tmp_path, clock=fleet.clock())
    await rt.start()
    ctx.alerts = rt
    app = create_app(ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c
    await rt.stop()


async def test_a_silence_ending_in_1e20_is_refused_and_the_page_still_renders(
    api: httpx.AsyncClient,
) -> None:
    r = await api.post(f"{API}/silences", json={"matcher": MATCHER, "ends_at": 1e20})
    assert r.status_code == 422 and "ends_at" in r.text
    page = await api.get("/alerts")
    assert page.status_code == 200  # was 500 for every visitor once such a silence existed


async def test_a_silence_stored_before_the_bound_does_not_break_the_page(
    api: httpx.AsyncClient, ctx: AppContext
) -> None:
    # as an older sshmon stored it: straight into the alerts database, past any API check
    mutes = ctx.alerts.engine.mutes  # type: ignore[union-attr]
    service.create_silence(mutes, Matcher(hosts=["web-1"]), 1e20, time.time())
    page = await api.get("/alerts")
    assert page.status_code == 200 and "out of range" in page.text


@pytest.mark.parametrize(
    "body",
    [
        {"matcher": MATCHER, "ends_at": 2e9, "starts_at": -1},
        {"matcher": MATCHER, "ends_at": -5},
        {"matcher": MATCHER, "duration": "9999999999d"},
        {"matcher": MATCHER, "duration": "2d", "starts_at": 3.9999e9},
        {"matcher": {"hosts": ["x" * 300]}, "duration": "1h"},
    ],
    ids=["negative-start", "negative-end", "huge-duration", "duration-past-bound", "long-name"],
)
async def test_out_of_range_silences_are_422(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    r = await api.post(f"{API}/silences", json=body)
    assert r.status_code == 422, r.text
    assert (await api.get(f"{API}/silences", params={"include_expired": True})).json() == []


async def test_nan_and_infinity_are_refused(api: httpx.AsyncClient) -> None:
    # Python's json (and so Starlette's) reads these bare words, which JSON itself forbids
    for word in ("NaN", "Infinity", "-Infinity"):
        r = await api.post(
            f"{API}/silences",
            content=f'{{"matcher": {{"hosts": ["web-1"]}}, "ends_at": {word}}}',
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422, (word, r.text)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "silences/{id}/expire", None),
        ("PATCH", "silences/{id}", {"comment": "x"}),
        ("POST", "maintenance/{id}/expire", None),
        ("PATCH", "maintenance/{id}", {"comment": "x"}),
    ],
)
@pytest.mark.parametrize("bad_id", [TOO_BIG_ID, 10**30, -1, 0])
async def test_ids_out_of_range_are_422_not_500(
    api: httpx.AsyncClient, method: str, path: str, body: dict[str, str] | None, bad_id: int
) -> None:
    url = f"{API}/{path.format(id=bad_id)}"
    r = await api.request(method, url, json=body)
    assert r.status_code == 422, r.text


async def test_a_one_off_window_far_in_the_future_is_refused(api: httpx.AsyncClient) -> None:
    schedule = {"kind": "once", "start": 1e9, "end": 1e20}
    r = await api.post(
        f"{API}/maintenance", json={"name": "m", "matcher": MATCHER, "schedule": schedule}
    )
    assert r.status_code == 422 and "end" in r.text
    assert (await api.get("/alerts")).status_code == 200


async def test_series_step_and_points_are_bounded(api: httpx.AsyncClient) -> None:
    for params, status in (({"step": 10**30}, 422), ({"max_points": 10**30}, 400)):
        r = await api.get(
            "/api/v1/series", params={"host": "web-1", "metric": "cpu_busy_percent", **params}
        )
        assert r.status_code == status, (params, r.text)
