"""The alerts API on the real app, a real alerts runtime (SQLite, Apprise to a local HTTP
receiver) and the real embedded store holding the test fleet."""

from __future__ import annotations

import sys
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
from api.routes.alerts import firing_by_host
from store.writer import Writer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "alerts"))
from alerts_helpers import Receiver

# Apprise's e-mail plugin imports imghdr (deprecated since 3.11) when it loads its plugins
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


async def _client(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c


@pytest.fixture
async def api(ctx: AppContext, rt: AlertsRuntime) -> AsyncIterator[httpx.AsyncClient]:
    ctx.alerts = rt
    async for c in _client(ctx):
        yield c


async def test_lists_firing_and_pending_alerts_with_severity_host_since_value(
    api: httpx.AsyncClient, rt: AlertsRuntime
) -> None:
    now = rt.clock()
    alertsdata.fire(rt, "web-1", now)
    r = await api.get(API)
    assert r.status_code == 200
    got = [(a["state"], a["severity"], a["rule"], a["host"], a["value"]) for a in r.json()]
    assert got == [
        ("firing", "critical", "mem", "web-1", 97.0),
        ("pending", "warning", "cpu", "web-1", 95.0),
    ]
    assert r.json()[0]["since"] == pytest.approx(now)
    assert r.json()[0]["value_text"] == "97.0%"
    assert (await api.get(API, params={"host": "web-2"})).json() == []
    counts = (await api.get(f"{API}/counts")).json()
    assert counts == {"firing": 1, "critical": 1, "warning": 0, "pending": 1}


async def test_silence_is_created_listed_muting_and_expired(
    api: httpx.AsyncClient, rt: AlertsRuntime
) -> None:
    body = {"matcher": {"hosts": ["web-2"]}, "duration": "2h", "comment": "disk swap"}
    r = await api.post(f"{API}/silences", json=body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["ends_at"] - created["starts_at"] == pytest.approx(7200, abs=1)
    listed = (await api.get(f"{API}/silences")).json()
    assert [(s["id"], s["comment"]) for s in listed] == [(created["id"], "disk swap")]
    # the engine sees it at once: web-2's alert fires but is muted, web-1's is not
    now = rt.clock()
    [muted] = [t for t in alertsdata.fire(rt, "web-2", now) if t.rule == "mem"]
    [loud] = [t for t in alertsdata.fire(rt, "web-1", now) if t.rule == "mem"]
    assert not muted.send and f"silence #{created['id']}" in muted.reason
    assert loud.send

    r = await api.post(f"{API}/silences/{created['id']}/expire")
    assert r.status_code == 200
    assert (await api.get(f"{API}/silences")).json() == []
    with_old = (await api.get(f"{API}/silences", params={"include_expired": True})).json()
    assert [s["id"] for s in with_old] == [created["id"]]
    again = await api.post(f"{API}/silences/{created['id']}/expire")
    assert again.status_code == 404
    assert again.json()["detail"] == f"no active silence #{created['id']}"


async def test_editing_a_silence_moves_what_the_engine_mutes_and_when_it_ends(
    api: httpx.AsyncClient, rt: AlertsRuntime
) -> None:
    body = {"matcher": {"hosts": ["web-1"]}, "duration": "2h", "comment": "disk swap"}
    created = (await api.post(f"{API}/silences", json=body)).json()
    url = f"{API}/silences/{created['id']}"

    r = await api.patch(url, json={"matcher": {"hosts": ["web-2"]}, "author": "ann"})
    assert r.status_code == 200, r.text
    edited = r.json()
    assert (edited["id"], edited["comment"], edited["updated_by"]) == (
        created["id"],
        "disk swap",
        "ann",
    )
    assert edited["ends_at"] == created["ends_at"] and edited["updated_at"] is not None
    # the engine sees the new matcher at once: web-2 is muted now, web-1 is not
    now = rt.clock()
    [muted] = [t for t in alertsdata.fire(rt, "web-2", now) if t.rule == "mem"]
    [loud] = [t for t in alertsdata.fire(rt, "web-1", now) if t.rule == "mem"]
    assert not muted.send and f"silence #{created['id']}" in muted.reason
    assert loud.send

    # shortened to a minute: still quiet at +30 s, and web-2 is told once it has ended
    r = await api.patch(url, json={"duration": "1m"})
    assert r.status_code == 200, r.text
    assert r.json()["ends_at"] == pytest.approx(now + 60)
    assert [t for t in rt.engine.tick(now + 30) if t.host == "web-2"] == []
    [told] = [t for t in rt.engine.tick(now + 120) if t.host == "web-2"]
    assert told.send and told.rule == "mem" and "quiet has ended" in told.reason
    assert [s["matcher"]["hosts"] for s in (await api.get(f"{API}/silences")).json()] == [["web-2"]]


async def test_editing_a_maintenance_window_changes_its_schedule(api: httpx.AsyncClient) -> None:
    body = {
        "name": "nightly backup",
        "matcher": {"groups": ["db"]},
        "schedule": {"kind": "daily", "at": "02:00", "duration": 3600},
    }
    window = (await api.post(f"{API}/maintenance", json=body)).json()
    weekly = {"kind": "weekly", "at": "03:30", "duration": 7200, "days": ["sun"]}
    r = await api.patch(
        f"{API}/maintenance/{window['id']}", json={"schedule": weekly, "comment": "moved"}
    )
    assert r.status_code == 200, r.text
    [listed] = (await api.get(f"{API}/maintenance")).json()
    assert listed["id"] == window["id"] and listed["name"] == "nightly backup"
    sc = listed["schedule"]
    assert (sc["kind"], sc["at"], sc["duration"], sc["days"]) == ("weekly", "03:30", 7200, ["sun"])
    assert listed["comment"] == "moved" and listed["updated_at"] is not None


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("silences/999", {"comment": "x"}, id="silence"),
        pytest.param("maintenance/999", {"comment": "x"}, id="maintenance"),
    ],
)
async def test_editing_an_unknown_id_is_a_404(
    api: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    r = await api.patch(f"{API}/{path}", json=body)
    assert r.status_code == 404 and "#999" in r.json()["detail"]


async def test_editing_an_expired_silence_is_a_404(api: httpx.AsyncClient) -> None:
    body = {"matcher": {"hosts": ["web-1"]}, "duration": "1h"}
    created = (await api.post(f"{API}/silences", json=body)).json()
    await api.post(f"{API}/silences/{created['id']}/expire")
    r = await api.patch(f"{API}/silences/{created['id']}", json={"comment": "x"})
    assert r.status_code == 404


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("silences", {}, "nothing to change"),
        ("silences", {"ends_at": 1.0, "duration": "1h"}, "not both"),
        ("silences", {"ends_at": 1.0}, "must end in the future"),
        ("silences", {"duration": "soon"}, "duration"),
        ("silences", {"matcher": {}}, "would mute everything"),
        ("silences", {"starts_at": 1.0}, "Extra inputs"),
        ("maintenance", {}, "nothing to change"),
        ("maintenance", {"name": ""}, "at least 1 character"),
        ("maintenance", {"schedule": {"kind": "weekly", "at": "02:00", "duration": 60}}, "days"),
    ],
    ids=[
        "silence-empty",
        "silence-two-ends",
        "silence-end-past",
        "silence-bad-duration",
        "silence-empty-matcher",
        "silence-unknown-field",
        "window-empty",
        "window-empty-name",
        "window-weekly-no-days",
    ],
)
async def test_a_bad_edit_is_a_422_that_says_what_is_wrong(
    api: httpx.AsyncClient, kind: str, body: dict[str, object], message: str
) -> None:
    silence = {"matcher": {"hosts": ["web-1"]}, "duration": "1h"}
    window = {
        "name": "w",
        "matcher": {"hosts": ["web-1"]},
        "schedule": {"kind": "daily", "at": "02:00", "duration": 60},
    }
    created = await api.post(f"{API}/{kind}", json=silence if kind == "silences" else window)
    r = await api.patch(f"{API}/{kind}/{created.json()['id']}", json=body)
    assert r.status_code == 422, r.text
    assert message in r.text


DAILY = {"kind": "daily", "at": "02:00", "duration": 60}


@pytest.mark.parametrize(
    ("kind", "matcher", "errors"),
    [
        pytest.param(
            "silences",
            {"hosts": ["web-1", "db-9"]},
            [
                (
                    ["body", "matcher", "hosts", 1],
                    "no host named 'db-9' in the inventory (did you mean db-1?)",
                )
            ],
            id="silence-host",
        ),
        pytest.param(
            "silences",
            {"groups": ["dbs"], "rules": ["memm", "cpu"]},
            [
                (
                    ["body", "matcher", "groups", 0],
                    "no group named 'dbs' in the inventory (did you mean db?)",
                ),
                (
                    ["body", "matcher", "rules", 0],
                    "no enabled rule named 'memm' (did you mean mem?)",
                ),
            ],
            id="silence-group-and-rule",
        ),
        pytest.param(
            "maintenance",
            {"hosts": ["mail"]},
            [(["body", "matcher", "hosts", 0], "no host named 'mail' in the inventory")],
            id="window-host",
        ),
        pytest.param(
            "maintenance",
            {"rules": ["load_anyy"]},
            [(["body", "matcher", "rules", 0], "no enabled rule named 'load_anyy'")],
            id="window-rule",
        ),
    ],
)
async def test_a_matcher_naming_what_does_not_exist_is_a_422_and_nothing_changes(
    api: httpx.AsyncClient,
    kind: str,
    matcher: dict[str, object],
    errors: list[tuple[list[object], str]],
) -> None:
    good = {"matcher": {"hosts": ["web-1"]}}
    extra = {"duration": "1h"} if kind == "silences" else {"name": "w", "schedule": DAILY}
    r = await api.post(f"{API}/{kind}", json={**good, "matcher": matcher, **extra})
    assert r.status_code == 422, r.text
    assert [(e["loc"], e["msg"]) for e in r.json()["detail"]] == errors
    assert (await api.get(f"{API}/{kind}")).json() == []

    # an edit is checked the same way and leaves the old matcher in place
    created = (await api.post(f"{API}/{kind}", json={**good, **extra})).json()
    r = await api.patch(f"{API}/{kind}/{created['id']}", json={"matcher": matcher})
    assert r.status_code == 422, r.text
    assert [(e["loc"], e["msg"]) for e in r.json()["detail"]] == errors
    [kept] = (await api.get(f"{API}/{kind}")).json()
    assert kept["matcher"]["hosts"] == ["web-1"] and kept["updated_at"] is None


async def test_a_matcher_of_known_names_is_accepted(api: httpx.AsyncClient) -> None:
    # groups named only by hosts (the test fleet defines no groups: section) count too
    body = {"matcher": {"hosts": ["db-1"], "groups": ["db"], "rules": ["mem"]}, "duration": "1h"}
    r = await api.post(f"{API}/silences", json=body)
    assert r.status_code == 201, r.text


async def test_maintenance_window_is_created_listed_and_expired(api: httpx.AsyncClient) -> None:
    body = {
        "name": "nightly backup",
        "matcher": {"groups": ["db"]},
        "schedule": {"kind": "daily", "at": "02:00", "duration": 3600, "timezone": "UTC"},
    }
    r = await api.post(f"{API}/maintenance", json=body)
    assert r.status_code == 201, r.text
    window = r.json()
    assert window["schedule"]["at"] == "02:00" and window["matcher"]["groups"] == ["db"]
    assert [m["name"] for m in (await api.get(f"{API}/maintenance")).json()] == ["nightly backup"]
    assert (await api.post(f"{API}/maintenance/{window['id']}/expire")).status_code == 200
    assert (await api.get(f"{API}/maintenance")).json() == []
    assert (await api.post(f"{API}/maintenance/{window['id']}/expire")).status_code == 404


async def test_acknowledging_a_firing_alert_marks_it_and_a_pending_one_is_404(
    api: httpx.AsyncClient, rt: AlertsRuntime
) -> None:
    alertsdata.fire(rt, "db-1", rt.clock())
    r = await api.post(f"{API}/ack", json={"rule": "mem", "host": "db-1", "comment": "on it"})
    assert r.status_code == 200, r.text
    acked = {a["rule"]: a["acked"] for a in (await api.get(API)).json()}
    assert acked == {"mem": True, "cpu": False}
    r = await api.post(f"{API}/ack", json={"rule": "cpu", "host": "db-1"})
    assert (r.status_code, r.json()["detail"]) == (404, "no firing alert cpu on db-1")


async def test_history_returns_events_the_writer_stored(
    fleet: Fleet, ctx: AppContext, tmp_path: Path
) -> None:
    writer = Writer(fleet.settings)
    writer.start()
    rt = alertsdata.build(
        fleet.inventory, tmp_path, store_events=writer.submit_alert_event, clock=fleet.clock()
    )
    await rt.start()
    now = rt.clock()
    try:
        alertsdata.fire(rt, "down-1", now, mem=99.0)
        alertsdata.fire(rt, "down-1", now + 10, mem=50.0)  # resolves
    finally:
        await rt.stop()
        assert writer.close(60), "writer did not flush"
    ctx.alerts = None  # history needs only the store (as in `sshmon serve`)
    async for c in _client(ctx):
        params = {"host": "down-1", "rule": "mem", "from": str(now - 60), "to": str(now + 60)}
        r = await c.get(f"{API}/history", params=params)
        assert r.status_code == 200, r.text
        got = [(e["state"], e["severity"], e["value"], e["labels"]["dev"]) for e in r.json()]
        assert got == [("resolved", "critical", 50.0, ""), ("firing", "critical", 99.0, "")]
        assert r.json()[1]["ts"] == pytest.approx(now, abs=0.001)
        assert r.json()[1]["labels"]["change"] == "firing"
        limited = await c.get(f"{API}/history", params={**params, "limit": 1})
        assert [e["state"] for e in limited.json()] == ["resolved"]
        # the rest of the engine is not here: a clear 503, not a crash
        r = await c.get(API)
        assert r.status_code == 503 and "sshmon run" in r.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("silences", {"matcher": {}, "duration": "1h"}, "name at least one host"),
        ("silences", {"matcher": {"hosts": ["web-1"]}}, "give either ends_at or duration"),
        ("silences", {"matcher": {"hosts": ["web-1"]}, "ends_at": 1.0}, "must end in the future"),
        ("silences", {"matcher": {"hosts": ["web-1"]}, "duration": "soon"}, "duration: expected"),
        (
            "maintenance",
            {
                "name": "m",
                "matcher": {"hosts": ["web-1"]},
                "schedule": {"kind": "weekly", "at": "02:00", "duration": 60},
            },
            "a weekly window needs `days`",
        ),
        (
            "maintenance",
            {
                "name": "m",
                "matcher": {"hosts": ["web-1"]},
                "schedule": {
                    "kind": "daily",
                    "at": "02:00",
                    "duration": 60,
                    "timezone": "Mars/Base",
                },
            },
            "unknown time zone 'Mars/Base'",
        ),
        ("test", {"route": "pager"}, "no route named 'pager'"),
    ],
    ids=[
        "empty-matcher",
        "no-end",
        "end-in-past",
        "bad-duration",
        "weekly-no-days",
        "bad-zone",
        "unknown-route",
    ],
)
async def test_bad_input_is_a_4xx_that_says_what_is_wrong(
    api: httpx.AsyncClient, path: str, body: dict[str, object], message: str
) -> None:
    r = await api.post(f"{API}/{path}", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert message in r.text


async def test_bad_history_range_is_a_400(api: httpx.AsyncClient) -> None:
    r = await api.get(f"{API}/history", params={"from": "yesterday"})
    assert r.status_code == 400 and "from: 'yesterday'" in r.json()["detail"]
    assert (await api.get(f"{API}/history", params={"limit": 0})).status_code == 422


async def test_test_notification_reaches_the_route(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    r = await api.post(f"{API}/test", json={"route": "ops"})
    assert r.status_code == 200, r.text
    assert [a["outcome"] for a in r.json()["ops"]] == ["sent"]
    assert receiver.received[0]["title"] == "sshmon test notification"


async def test_a_browser_post_without_the_csrf_token_is_refused(api: httpx.AsyncClient) -> None:
    body = {"matcher": {"hosts": ["web-1"]}, "duration": "1h"}
    foreign = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    r = await api.post(f"{API}/silences", json=body, headers=foreign)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    page = await api.get("/alerts")  # the page sets the CSRF cookie its forms echo
    token = page.cookies["sshmon_csrf"]
    r = await api.post(
        f"{API}/silences", json=body, headers={"Origin": "http://127.0.0.1", "X-CSRF-Token": token}
    )
    assert r.status_code == 201, r.text
    edit = {"comment": "from another site"}
    r = await api.patch(f"{API}/silences/{r.json()['id']}", json=edit, headers=foreign)
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]


async def test_viewer_token_reads_but_cannot_silence_admin_can(
    auth_ctx: AppContext, rt: AlertsRuntime
) -> None:
    auth_ctx.alerts = rt
    async for c in _client(auth_ctx):  # the app opens the token store
        engine = tokens.open_db(f"sqlite:///{auth_ctx.data_dir / 'auth.db'}")
        _, viewer = tokens.create(engine, "dash", tokens.Role.viewer, auth_ctx.clock())
        _, admin = tokens.create(engine, "ops", tokens.Role.admin, auth_ctx.clock())
        body = {"matcher": {"hosts": ["web-1"]}, "duration": "1h"}
        as_viewer = {"Authorization": f"Bearer {viewer}"}
        assert (await c.get(API)).status_code == 401
        assert (await c.get(API, headers=as_viewer)).status_code == 200
        r = await c.post(f"{API}/silences", json=body, headers=as_viewer)
        assert r.status_code == 403 and r.json()["detail"] == "this needs an admin token"
        assert (await c.get(f"{API}/silences", headers=as_viewer)).json() == []
        as_admin = {"Authorization": f"Bearer {admin}"}
        r = await c.post(f"{API}/silences", json=body, headers=as_admin)
        assert r.status_code == 201, r.text
        edit = {"comment": "mine now"}
        url = f"{API}/silences/{r.json()['id']}"
        r = await c.patch(url, json=edit, headers=as_viewer)
        assert r.status_code == 403 and r.json()["detail"] == "this needs an admin token"
        window = {
            "name": "w",
            "matcher": {"hosts": ["web-1"]},
            "schedule": {"kind": "daily", "at": "02:00", "duration": 60},
        }
        w = (await c.post(f"{API}/maintenance", json=window, headers=as_admin)).json()
        r = await c.patch(f"{API}/maintenance/{w['id']}", json=edit, headers=as_viewer)
        assert r.status_code == 403
        assert (await c.patch(url, json=edit, headers=as_admin)).status_code == 200


async def test_overview_shows_firing_counts_per_host(ctx: AppContext, rt: AlertsRuntime) -> None:
    # wired as `sshmon run` should: AppContext.firing_alerts from this process's engine
    ctx.alerts = rt
    ctx.firing_alerts = lambda: firing_by_host(rt.engine)
    alertsdata.fire(rt, "web-2", rt.clock())  # mem fires, cpu only pends
    async for c in _client(ctx):
        rows = {r["name"]: r["firing_alerts"] for r in (await c.get("/api/v1/hosts")).json()}
        assert rows == {"web-1": 0, "web-2": 1, "db-1": 0, "down-1": 0, "evil": 0}
        page = (await c.get("/")).text
        assert '<td data-k="alerts" data-v="1"><span class="badge s-alert">1</span>' in page


async def test_every_alerts_endpoint_is_in_the_openapi_document(api: httpx.AsyncClient) -> None:
    paths = (await api.get("/openapi.json")).json()["paths"]
    documented = {(p, m) for p, ops in paths.items() if p.startswith(API) for m in ops}
    assert documented == {
        (API, "get"),
        (f"{API}/counts", "get"),
        (f"{API}/history", "get"),
        (f"{API}/silences", "get"),
        (f"{API}/silences", "post"),
        (f"{API}/silences/{{silence_id}}", "patch"),
        (f"{API}/silences/{{silence_id}}/expire", "post"),
        (f"{API}/maintenance", "get"),
        (f"{API}/maintenance", "post"),
        (f"{API}/maintenance/{{window_id}}", "patch"),
        (f"{API}/maintenance/{{window_id}}/expire", "post"),
        (f"{API}/ack", "post"),
        (f"{API}/test", "post"),
        (f"{API}/rules", "get"),
        (f"{API}/rules", "post"),
        (f"{API}/rules/audit", "get"),
        (f"{API}/rules/export", "get"),
        (f"{API}/rules/{{name}}", "put"),
        (f"{API}/rules/{{name}}", "patch"),
        (f"{API}/rules/{{name}}", "delete"),
        (f"{API}/rules/{{name}}/disable", "post"),
        (f"{API}/rules/{{name}}/enable", "post"),
        (f"{API}/rules/{{name}}/revert", "post"),
    }
    assert "/alerts" not in paths  # the page is not API
    edit = paths[f"{API}/silences/{{silence_id}}"]["patch"]
    assert "404" in edit["responses"] and "422" in edit["responses"]
    assert edit["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "SilencePatch"
    )


async def test_page_without_the_engine_says_why_and_still_has_history(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get("/alerts")
    assert r.status_code == 200
    assert "the alert engine does not run in this process" in r.text
    assert 'id="silence-form"' not in r.text  # nothing to create silences in
    r = await client.get("/alerts", params={"from": "last tuesday"})
    assert r.status_code == 200
    assert "from: &#39;last tuesday&#39; is not epoch seconds" in r.text
