"""Alert rules over the API on the real app and a real alerts runtime (SQLite): what is in
effect and where it comes from, changes that reach the running engine at once, the checks
the file's rules get, the admin role, and the audit trail."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import alertsdata
import httpx
import pytest
from test_alerts_api import _client, receiver, rt  # noqa: F401  (fixtures)

from alerts.runtime import AlertsRuntime
from api import tokens
from api.context import AppContext

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")
RULES = "/api/v1/alerts/rules"
ALL_HOSTS = ["web-1", "web-2", "db-1", "down-1", "evil"]


@pytest.fixture
async def api(ctx: AppContext, rt: AlertsRuntime) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    ctx.alerts = rt
    async for c in _client(ctx):
        yield c


def running(runtime: AlertsRuntime) -> dict[str, tuple[float | None, float | None]]:
    """Rule name -> (warning, critical) of what the engine evaluates now."""
    return {r.name: (r.warning, r.critical) for r in runtime.engine.config.rules}


async def test_rules_say_where_they_come_from_whom_they_cover_and_where_they_fire(
    api: httpx.AsyncClient,
    rt: AlertsRuntime,  # noqa: F811
) -> None:
    alertsdata.fire(rt, "web-1", time.time())  # mem fires on web-1, cpu only pends
    got = {r["name"]: r for r in (await api.get(RULES)).json()}
    assert set(got) == {"mem", "cpu"}
    mem = got["mem"]
    assert (mem["source"], mem["metric"], mem["warning"], mem["critical"]) == (
        "file",
        "mem_used_percent",
        80.0,
        95.0,
    )
    assert mem["condition"]["text"] == "mem_used_percent > 80 (warning) / 95 (critical)"
    assert mem["applies_to"] == ALL_HOSTS
    assert mem["firing_on"] == ["web-1"]
    assert got["cpu"]["firing_on"] == []  # pending is not firing
    assert got["cpu"]["for_s"] == 600.0


async def test_a_rule_is_created_edited_disabled_deleted_at_once_and_audited(
    api: httpx.AsyncClient,
    rt: AlertsRuntime,  # noqa: F811
) -> None:
    new = {"name": "disk", "metric": "fs_used_percent", "warning": 90, "scope": {"groups": ["db"]}}
    r = await api.post(RULES, json=new)
    assert r.status_code == 201, r.text
    assert running(rt)["disk"] == (90.0, None)  # the engine has it, no reload needed
    disk = {x["name"]: x for x in (await api.get(RULES)).json()}["disk"]
    assert (disk["source"], disk["applies_to"]) == ("ui", ["db-1"])

    r = await api.patch(f"{RULES}/mem", json={"critical": 99})
    assert r.status_code == 200, r.text
    assert running(rt)["mem"] == (80.0, 99.0)  # warning kept
    mem = {x["name"]: x for x in (await api.get(RULES)).json()}["mem"]
    assert (mem["source"], mem["replaces"]) == ("ui", "file")

    assert (await api.post(f"{RULES}/cpu/disable")).status_code == 200
    assert "cpu" not in running(rt)
    listed = {x["name"]: x["enabled"] for x in (await api.get(RULES)).json()}
    assert listed["cpu"] is False  # still shown, switched off
    assert (await api.post(f"{RULES}/cpu/enable")).status_code == 200
    assert "cpu" in running(rt)

    assert (await api.delete(f"{RULES}/cpu")).status_code == 200
    assert "cpu" not in running(rt)
    assert (await api.post(f"{RULES}/cpu/revert")).status_code == 200
    assert running(rt)["cpu"] == (90.0, None)  # the file's rule again
    assert (await api.post(f"{RULES}/mem/revert")).status_code == 200
    assert running(rt)["mem"] == (80.0, 95.0)

    audit = (await api.get(f"{RULES}/audit")).json()
    assert [(e["action"], e["rule"]) for e in audit] == [
        ("revert", "mem"),
        ("revert", "cpu"),
        ("delete", "cpu"),
        ("enable", "cpu"),
        ("disable", "cpu"),
        ("thresholds", "mem"),
        ("create", "disk"),
    ]
    thresholds = audit[5]
    assert (thresholds["before"]["critical"], thresholds["after"]["critical"]) == (95.0, 99.0)
    assert all(e["who"] == "local (127.0.0.1, auth off)" for e in audit)
    assert [e["rule"] for e in (await api.get(f"{RULES}/audit?rule=disk")).json()] == ["disk"]


async def test_changes_survive_a_restart_of_the_runtime(
    api: httpx.AsyncClient,
    rt: AlertsRuntime,  # noqa: F811
) -> None:
    assert (await api.patch(f"{RULES}/mem", json={"warning": 50})).status_code == 200
    assert rt.loaded is not None
    again = alertsdata.runtime.build(rt.loaded)  # what `sshmon run` does at start
    try:
        assert {r.name: r.warning for r in again.engine.config.rules}["mem"] == 50.0
    finally:
        again.db.close()


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        (
            {"name": "x", "metric": "cpu_bsy_percent", "warning": 1},
            ["body", "metric"],
            "did you mean cpu_busy_percent",
        ),
        (
            {"name": "x", "metric": "mem_used_percent", "warning": 1, "scope": {"hosts": ["web1"]}},
            ["body", "scope", "hosts", 0],
            "no host named 'web1'",
        ),
        (
            {"name": "x", "metric": "mem_used_percent", "warning": 1, "groups": {"dbs": {}}},
            ["body", "groups", "dbs"],
            "no group named 'dbs'",
        ),
        (
            {"name": "x", "metric": "mem_used_percent", "warning": 1, "for": "soon"},
            ["body", "for"],
            "expected a duration",
        ),
        ({"name": "x", "metric": "mem_used_percent"}, ["body"], "needs `warning:`"),
        ({"name": "x y", "poll": "down"}, ["body", "name"], "should match pattern"),
        (
            {"name": "x", "poll": "down", "colour": "red"},
            ["body", "colour"],
            "Extra inputs are not permitted",
        ),
    ],
    ids=[
        "unknown-metric",
        "unknown-host",
        "unknown-group",
        "bad-duration",
        "no-threshold",
        "bad-name",
        "unknown-key",
    ],
)
async def test_an_invalid_rule_is_a_422_naming_the_path_and_changes_nothing(
    api: httpx.AsyncClient,
    rt: AlertsRuntime,  # noqa: F811
    body: dict[str, object],
    loc: list[object],
    words: str,
) -> None:
    before = running(rt)
    r = await api.post(RULES, json=body)
    assert r.status_code == 422, r.text
    problems = r.json()["detail"]
    assert any(p["loc"] == loc and words in p["msg"] for p in problems), problems
    assert running(rt) == before
    assert (await api.get(f"{RULES}/audit")).json() == []


async def test_wrong_names_and_targets_say_what_is_wrong(api: httpx.AsyncClient) -> None:
    r = await api.patch(f"{RULES}/nope", json={"warning": 1})
    assert r.status_code == 404 and r.json()["detail"] == "no rule named 'nope'"
    dup = {"name": "mem", "metric": "mem_used_percent", "warning": 1}
    r = await api.post(RULES, json=dup)
    assert r.status_code == 409 and "exists" in r.json()["detail"]
    r = await api.put(f"{RULES}/mem", json={**dup, "name": "other"})
    assert r.status_code == 422 and "differs" in r.json()["detail"]
    r = await api.patch(f"{RULES}/mem", json={})
    assert r.status_code == 422
    r = await api.patch(f"{RULES}/mem", json={"warning": None, "critical": None})
    assert r.status_code == 422 and "needs `warning:`" in r.json()["detail"][0]["msg"]
    r = await api.post(f"{RULES}/mem/revert")
    assert r.status_code == 404 and "no change made in the UI" in r.json()["detail"]


async def test_viewer_reads_rules_only_admin_changes_them_and_is_named_in_the_audit(
    auth_ctx: AppContext,
    rt: AlertsRuntime,  # noqa: F811
) -> None:
    auth_ctx.alerts = rt
    async for c in _client(auth_ctx):
        engine = tokens.open_db(f"sqlite:///{auth_ctx.data_dir / 'auth.db'}")
        _, viewer = tokens.create(engine, "dash", tokens.Role.viewer, time.time())
        _, admin = tokens.create(engine, "ops-laptop", tokens.Role.admin, time.time())
        as_viewer = {"Authorization": f"Bearer {viewer}"}
        as_admin = {"Authorization": f"Bearer {admin}"}
        assert (await c.get(RULES)).status_code == 401
        assert (await c.get(RULES, headers=as_viewer)).status_code == 200
        for method, path, body in [
            ("POST", RULES, {"name": "x", "poll": "stale"}),
            ("PATCH", f"{RULES}/mem", {"warning": 1}),
            ("PUT", f"{RULES}/mem", {"metric": "mem_used_percent", "warning": 1}),
            ("POST", f"{RULES}/mem/disable", None),
            ("DELETE", f"{RULES}/mem", None),
        ]:
            r = await c.request(method, path, json=body, headers=as_viewer)
            assert r.status_code == 403, (method, path, r.text)
        assert running(rt)["mem"] == (80.0, 95.0)
        r = await c.patch(f"{RULES}/mem", json={"warning": 70}, headers=as_admin)
        assert r.status_code == 200, r.text
        audit = (await c.get(f"{RULES}/audit", headers=as_viewer)).json()
        assert [(e["who"], e["action"]) for e in audit] == [("ops-laptop", "thresholds")]


async def test_export_is_yaml_for_the_file(api: httpx.AsyncClient) -> None:
    await api.post(f"{RULES}/cpu/disable")
    r = await api.get(f"{RULES}/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/yaml")
    assert "attachment" in r.headers["content-disposition"]
    assert "- name: cpu\n    enabled: false\n" in r.text


async def test_a_firing_alert_says_when_it_is_silenced_or_its_host_is_down(
    api: httpx.AsyncClient,
    rt: AlertsRuntime,  # noqa: F811
) -> None:
    from alerts_helpers import failed

    now = time.time()
    alertsdata.fire(rt, "web-1", now)
    alertsdata.fire(rt, "web-2", now)
    r = await api.post(
        "/api/v1/alerts/silences", json={"matcher": {"hosts": ["web-2"]}, "duration": "1h"}
    )
    assert r.status_code == 201, r.text
    rt.engine.observe(failed("web-1", now + 1), [], now + 1)
    quiet = {
        (a["host"], a["rule"]): (a["quiet"], a["quiet_reason"])
        for a in (await api.get("/api/v1/alerts")).json()
        if a["state"] == "firing"
    }
    assert quiet[("web-1", "mem")] == ("suppressed", "host down")
    kind, reason = quiet[("web-2", "mem")]
    assert kind == "silenced" and reason.startswith(f"silence #{r.json()['id']} (host=web-2)")


async def test_concurrent_creates_of_one_name_make_one_rule_and_the_rest_are_409(
    api: httpx.AsyncClient,
) -> None:
    import asyncio

    body = {"name": "race", "metric": "mem_used_percent", "warning": 1}
    answers = await asyncio.gather(*(api.post(RULES, json=body) for _ in range(5)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409, 409]
    audit = (await api.get(f"{RULES}/audit")).json()
    assert [(e["action"], e["rule"]) for e in audit] == [("create", "race")]
