"""The functions the API routers call, on a real engine, database and receiver."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest
from alerts_helpers import Receiver, host, ok, pt
from sqlalchemy import create_engine, text

from alerts import service
from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.engine import AlertEngine
from alerts.errors import InvalidRequestError, NotFoundError, UnknownRouteError
from alerts.messages import clock
from alerts.mutes import MuteStore
from alerts.notify import Notifier
from alerts.output import to_event
from alerts.silences import Matcher, Schedule, Target
from store.records import alert_row


def make(receiver: Receiver, db: AlertsDB) -> tuple[AlertsConfig, AlertEngine, Notifier]:
    config = AlertsConfig.model_validate(
        {
            "defaults": False,
            "routes": [{"name": "ops", "urls": [receiver.url("ops")]}],
            "rules": [
                {"name": "fs", "metric": "fs_used_percent", "warning": 85, "critical": 95},
                {
                    "name": "fill",
                    "metric": "fs_avail_bytes",
                    "reduce": "hours_to_zero",
                    "window": "1h",
                    "op": "<",
                    "warning": 24,
                },
                {"name": "mem", "metric": "mem_used_percent", "warning": 80, "for": "5m"},
            ],
        }
    )
    notifier = Notifier(config, db=db)
    return config, AlertEngine(config, [host("a"), host("b")], notifier=notifier, db=db), notifier


async def test_active_alerts_counts_and_the_saved_view_agree(
    receiver: Receiver, db: AlertsDB
) -> None:
    config, engine, _ = make(receiver, db)
    engine.observe(
        ok("a", 10),
        [pt("a", "fs_used_percent", 97, 10, "/"), pt("a", "mem_used_percent", 90, 10)],
        10,
    )
    engine.observe(ok("b", 20), [pt("b", "fs_used_percent", 88, 20, "/srv")], 20)
    views = service.active_alerts(engine)
    assert [(v.rule, v.host, v.dev, v.state, v.severity, v.value_text) for v in views] == [
        ("fs", "a", "/", "firing", "critical", "97.0%"),
        ("fs", "b", "/srv", "firing", "warning", "88.0%"),
        ("mem", "a", "", "pending", "warning", "90.0%"),
    ]
    assert service.counts(engine) == {"firing": 2, "critical": 1, "warning": 1, "pending": 1}
    assert [v.host for v in service.active_alerts(engine, host="b")] == ["b"]
    engine.flush()
    assert service.stored_alerts(config, db) == views


async def test_send_test_reaches_the_route_and_logs_the_attempt(
    receiver: Receiver, db: AlertsDB
) -> None:
    _, _, notifier = make(receiver, db)
    results = await service.send_test(notifier, "ops", now=0)
    assert [a.outcome for a in results["ops"]] == ["sent"]
    assert receiver.received[0]["title"] == "sshmon test notification"
    [row] = service.deliveries(db)
    assert (row["route"], row["outcome"], row["host"]) == ("ops", "sent", "sshmon")
    with pytest.raises(UnknownRouteError):
        await service.send_test(notifier, "pager", now=0)


def test_silences_and_maintenance_through_the_service(receiver: Receiver, db: AlertsDB) -> None:
    mutes = MuteStore(db)
    s = service.create_silence(
        mutes, Matcher(groups=["db"]), ends_at=500, now=100, comment="resize", author="ann"
    )
    assert [x.id for x in service.list_silences(mutes, now=200)] == [s.id]
    service.expire_silence(mutes, s.id, now=300)
    assert service.list_silences(mutes, now=301) == []
    assert [x.ends_at for x in service.list_silences(mutes, 301, include_expired=True)] == [300]
    with pytest.raises(NotFoundError):
        service.expire_silence(mutes, s.id, now=302)
    with pytest.raises(InvalidRequestError):
        service.create_silence(mutes, Matcher(hosts=["a"]), ends_at=50, now=100)
    m = service.create_maintenance(
        mutes,
        "patching",
        Matcher(hosts=["a"]),
        Schedule(kind="once", start=1000, end=2000),
        now=100,
    )
    assert [x.name for x in service.list_maintenance(mutes, now=1500)] == ["patching"]
    assert service.list_maintenance(mutes, now=2000) == []  # a one-off window that is over
    service.expire_maintenance(mutes, m.id, now=1500)
    assert service.list_maintenance(mutes, now=1500) == []


def test_editing_a_silence_changes_it_in_place_and_mutes_accordingly(db: AlertsDB) -> None:
    mutes = MuteStore(db)
    s = service.create_silence(mutes, Matcher(hosts=["a"]), ends_at=500, now=100, author="ann")
    on_a = Target("a", (), "fs", {})
    on_b = Target("b", (), "fs", {})
    assert mutes.muted_by(on_a, 200) and mutes.muted_by(on_b, 200) is None

    edited = service.update_silence(
        mutes, s.id, now=200, matcher=Matcher(hosts=["b"]), ends_at=900, author="bob"
    )
    # same id, creator kept, the edit stamped; the store's memory sees it with no reload
    assert (edited.id, edited.author, edited.comment) == (s.id, "ann", "")
    assert (edited.updated_at, edited.updated_by, edited.ends_at) == (200, "bob", 900)
    assert mutes.muted_by(on_a, 600) is None
    assert mutes.muted_by(on_b, 600) == f"silence #{s.id} (host=b) until {clock(900)}"
    [stored] = MuteStore(db).silences(now=600)
    assert stored == edited

    service.update_silence(mutes, s.id, now=300, comment="longer job")
    [kept] = service.list_silences(mutes, now=300)
    assert (kept.comment, kept.ends_at, kept.matcher.hosts) == ("longer job", 900, ["b"])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        pytest.param({}, InvalidRequestError, id="nothing-to-change"),
        pytest.param({"ends_at": 150}, InvalidRequestError, id="end-in-the-past"),
        pytest.param({"ends_at": 50}, InvalidRequestError, id="end-before-start"),
        pytest.param({"comment": "x", "silence_id": 999}, NotFoundError, id="unknown-id"),
        pytest.param({"comment": "x", "now": 600}, NotFoundError, id="already-over"),
    ],
)
def test_bad_silence_edits_are_refused(
    db: AlertsDB, change: dict[str, Any], error: type[Exception]
) -> None:
    mutes = MuteStore(db)
    s = service.create_silence(mutes, Matcher(hosts=["a"]), ends_at=500, now=100)
    args = {"silence_id": s.id, "now": 200, **change}
    with pytest.raises(error):
        service.update_silence(mutes, **args)
    assert service.list_silences(mutes, now=200) == [s]  # untouched


def test_editing_a_maintenance_window_changes_name_matcher_and_schedule(db: AlertsDB) -> None:
    mutes = MuteStore(db)
    m = service.create_maintenance(
        mutes, "patching", Matcher(hosts=["a"]), Schedule(kind="once", start=1000, end=2000), 100
    )
    target = Target("a", (), "fs", {})
    assert mutes.muted_by(target, 1500) and mutes.muted_by(target, 2500) is None
    later = Schedule(kind="once", start=2000, end=3000)
    edited = service.update_maintenance(
        mutes, m.id, now=200, name="kernel", schedule=later, comment="moved", author="bob"
    )
    assert (edited.id, edited.name, edited.comment, edited.updated_by) == (
        m.id,
        "kernel",
        "moved",
        "bob",
    )
    assert mutes.muted_by(target, 1500) is None
    assert mutes.muted_by(target, 2500) == f"maintenance #{m.id} 'kernel'"
    assert service.list_maintenance(MuteStore(db), now=200) == [edited]

    with pytest.raises(InvalidRequestError):
        service.update_maintenance(mutes, m.id, now=200)
    with pytest.raises(InvalidRequestError):
        service.update_maintenance(mutes, m.id, now=200, name="  ")
    with pytest.raises(NotFoundError):
        service.update_maintenance(mutes, 999, now=200, comment="x")
    with pytest.raises(NotFoundError):  # the one-off window is over
        service.update_maintenance(mutes, m.id, now=3000, comment="x")
    service.expire_maintenance(mutes, m.id, now=300)
    with pytest.raises(NotFoundError):
        service.update_maintenance(mutes, m.id, now=400, comment="x")


def test_an_older_database_gains_the_edit_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = create_engine(url)
    with old.begin() as conn:  # the silences table as sshmon created it before edits
        conn.execute(
            text(
                "CREATE TABLE alert_silences (id INTEGER PRIMARY KEY, matcher JSON NOT NULL,"
                " starts_at FLOAT NOT NULL, ends_at FLOAT NOT NULL, comment TEXT NOT NULL,"
                " author VARCHAR(200) NOT NULL, created_at FLOAT NOT NULL)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO alert_silences VALUES (1, '{\"hosts\": [\"a\"]}', 0, 500, '', 'ann', 0)"
            )
        )
    old.dispose()
    database = AlertsDB(url)
    try:
        mutes = MuteStore(database)
        [before] = mutes.silences(now=100)
        assert before.updated_at is None
        assert service.update_silence(mutes, 1, now=100, comment="hi").updated_at == 100
    finally:
        database.close()


def test_acknowledge_in_process_and_from_another_process(receiver: Receiver, db: AlertsDB) -> None:
    _, engine, _ = make(receiver, db)
    engine.observe(
        ok("a", 10),
        [pt("a", "fs_used_percent", 97, 10, "/"), pt("a", "fs_used_percent", 97, 10, "/var")],
        10,
    )
    engine.flush()
    status = service.acknowledge(engine, "fs", "a", "/", 20, author="ann")
    assert getattr(status, "acked", False)
    ack = service.acknowledge((db, MuteStore(db)), "fs", "a", "/var", 30, author="bob")
    assert getattr(ack, "author", "") == "bob"
    with pytest.raises(NotFoundError):
        service.acknowledge((db, MuteStore(db)), "mem", "a", "", 30)


def test_every_transition_becomes_a_storable_history_row(receiver: Receiver, db: AlertsDB) -> None:
    """NaN/inf never reach the store: a fill-up prediction of 'never' is stored as NULL."""
    _, engine, _ = make(receiver, db)
    changes = engine.observe(ok("a", 10), [pt("a", "fs_used_percent", 97, 10, "/")], 10)
    row = alert_row(to_event(changes[0]))
    assert row[:7] == [10, "a", "fs", "critical", "firing", 97.0, 95.0]
    assert row[8] == {"dev": "/", "change": "firing", "notify": "started firing"}
    never = dataclasses.replace(changes[0], value=math.inf)
    assert to_event(never).value is None
