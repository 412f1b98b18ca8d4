"""End to end: polls in, real Apprise out, a real HTTP receiver on 127.0.0.1 listening.

Time inside the engine is injected; only delivery itself is awaited for real. Backoff sleeps
between retries are replaced by a recorder so a retry test does not wait out its delays.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alerts_helpers import Receiver, failed, host, ok, pt
from sqlalchemy import select

from alerts import db as tables
from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.dispatch import Dispatcher
from alerts.engine import AlertEngine
from alerts.errors import NotifyConfigError
from alerts.messages import Message
from alerts.notify import Notifier
from alerts.outbox import OutboxStore
from alerts.service import active_alerts
from alerts.silences import Matcher


def make_config(receiver: Receiver, **extra: object) -> AlertsConfig:
    return AlertsConfig.model_validate(
        {
            "defaults": False,
            "flap": {"changes": 0},
            "retry": {"attempts": 3, "first_delay": 2, "max_delay": 60},
            "link_base": "https://mon.example",
            "routes": [{"name": "ops", "urls": [receiver.url("ops")]}],
            "rules": [
                {"name": "fs_used", "metric": "fs_used_percent", "warning": 85, "critical": 95},
                {"name": "memory", "metric": "mem_used_percent", "warning": 90},
            ],
            **extra,
        }
    )


class Pipeline:
    """The runtime's wiring: engine -> outbox (with the state) -> dispatcher -> notifier."""

    def __init__(self, config: AlertsConfig, db: AlertsDB, *hosts: str) -> None:
        self.notifier = Notifier(config, db=db)
        self.engine = AlertEngine(config, [host(h) for h in hosts], db=db)
        self.dispatcher = Dispatcher(
            config, self.notifier, OutboxStore(db), delivered=self.engine.delivered
        )

    async def deliver(self) -> None:
        """Persist what the engine decided and send it all now (group_wait skipped)."""
        self.engine.flush()
        await self.dispatcher.dispatch(force=True)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def test_a_crossing_arrives_with_content_and_then_the_resolved_message(
    receiver: Receiver, db: AlertsDB
) -> None:
    p = Pipeline(make_config(receiver), db, "web-1")
    engine = p.engine
    engine.observe(ok("web-1", 1000), [pt("web-1", "fs_used_percent", 96.5, 1000, "/data")], 1000)
    await p.deliver()
    [fired] = receiver.received
    assert fired["title"] == "[FIRING] web-1: fs_used on /data: 96.5% > 95.0%"
    assert fired["type"] == "failure"
    assert "since 1970-01-01 00:16 UTC" in fired["message"]
    assert fired["message"].endswith("Host: https://mon.example/hosts/web-1")
    engine.observe(ok("web-1", 4600), [pt("web-1", "fs_used_percent", 40, 4600, "/data")], 4600)
    await p.deliver()
    resolved = receiver.received[1]
    text = "fs_used on /data resolved: 40.0% (threshold > 95.0%) after 1h"
    assert resolved["title"] == f"[RESOLVED] web-1: {text}"
    assert resolved["message"] == f"RESOLVED: {text}\nHost: https://mon.example/hosts/web-1"
    assert resolved["type"] == "success"
    assert receiver.paths == ["/ops", "/ops"]


async def test_simultaneous_changes_of_one_host_arrive_as_one_message_grouped_by_host(
    receiver: Receiver, db: AlertsDB
) -> None:
    route = {"name": "ops", "urls": [receiver.url("ops")], "group_by": ["host"]}
    p = Pipeline(make_config(receiver, routes=[route]), db, "db-1")
    points = [
        pt("db-1", "fs_used_percent", 99, 10, "/"),
        pt("db-1", "fs_used_percent", 88, 10, "/var"),
        pt("db-1", "mem_used_percent", 93, 10),
    ]
    p.engine.observe(ok("db-1", 10), points, 10)
    await p.deliver()
    [message] = receiver.received
    assert message["title"] == "[FIRING] db-1: 3 alerts (fs_used, memory)"
    lines = message["message"].splitlines()
    assert lines[:3] == [
        "FIRING critical: fs_used on /: 99.0% > 95.0% (since 1970-01-01 00:00 UTC, 0s)",
        "FIRING warning: fs_used on /var: 88.0% > 85.0% (since 1970-01-01 00:00 UTC, 0s)",
        "FIRING warning: memory: 93.0% > 90.0% (since 1970-01-01 00:00 UTC, 0s)",
    ]


async def test_routes_split_by_severity(receiver: Receiver, db: AlertsDB) -> None:
    routes = [
        {"name": "chat", "urls": [receiver.url("chat")], "group_by": ["host"]},
        {"name": "pager", "urls": [receiver.url("pager")], "severity": ["critical"]},
    ]
    p = Pipeline(make_config(receiver, routes=routes), db, "a")
    p.engine.observe(
        ok("a", 0), [pt("a", "fs_used_percent", 99, 0, "/"), pt("a", "mem_used_percent", 93, 0)], 0
    )
    await p.deliver()
    by_path = dict(zip(receiver.paths, receiver.received, strict=True))
    assert by_path["/chat"]["title"] == "[FIRING] a: 2 alerts (fs_used, memory)"
    assert by_path["/pager"]["title"] == "[FIRING] a: fs_used on /: 99.0% > 95.0%"


async def test_a_silenced_alert_sends_nothing(receiver: Receiver, db: AlertsDB) -> None:
    p = Pipeline(make_config(receiver), db, "web-1")
    engine = p.engine
    assert engine.mutes is not None
    engine.mutes.add_silence(Matcher(hosts=["web-1"]), ends_at=10_000, now=0, comment="rebuild")
    engine.load(0)
    engine.observe(ok("web-1", 10), [pt("web-1", "mem_used_percent", 99, 10)], 10)
    engine.observe(ok("web-1", 20), [pt("web-1", "mem_used_percent", 10, 20)], 20)
    await p.deliver()
    assert receiver.received == []
    assert engine.alerts() == []


async def test_a_failing_receiver_is_retried_with_backoff_and_every_attempt_is_stored(
    receiver: Receiver, db: AlertsDB, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_next(2)
    sleeps = Sleeps()
    notifier = Notifier(make_config(receiver), db=db, sleep=sleeps, clock=lambda: 5.0)
    message = Message(route="ops", host="web-1", title="t", body="b", notify_type="warning")
    with caplog.at_level(logging.INFO, logger="alerts.notify"):
        attempts = await notifier.deliver(message)
    assert [(a.attempt, a.ok, a.outcome) for a in attempts] == [
        (1, False, "failed"),
        (2, False, "failed"),
        (3, True, "sent"),
    ]
    assert "error=500" in attempts[0].reason
    assert sleeps.delays == [2, 4]
    assert receiver.refused == 2 and len(receiver.received) == 1
    with db.engine.connect() as conn:
        rows = conn.execute(select(tables.deliveries).order_by(tables.deliveries.c.id)).all()
    assert [(r.attempt, r.ok, r.outcome) for r in rows] == [
        (1, False, "failed"),
        (2, False, "failed"),
        (3, True, "sent"),
    ]
    assert "error=500" in rows[0].reason
    failures = [r for r in caplog.records if "outcome=failed" in r.getMessage()]
    assert len(failures) == 2 and failures[0].levelno == logging.WARNING


async def test_a_receiver_that_keeps_failing_is_given_up_and_that_is_recorded(
    receiver: Receiver, db: AlertsDB
) -> None:
    receiver.fail_next(99)
    notifier = Notifier(make_config(receiver), db=db, sleep=Sleeps())
    message = Message(route="ops", host="h", title="t", body="b", notify_type="info")
    attempts = await notifier.deliver(message)
    assert [a.outcome for a in attempts] == ["failed", "failed", "gave_up"]
    assert receiver.received == []


async def test_messages_left_queued_at_shutdown_are_sent_after_restart(
    receiver: Receiver, db: AlertsDB
) -> None:
    config = make_config(receiver)
    stopped = Notifier(config, db=db)  # never started: its queue cannot drain
    stopped.submit(
        Message(route="ops", host="h", title="resolved!", body="b", notify_type="success")
    )
    await stopped.stop(drain_s=0.01)
    restarted = Notifier(config, db=db)
    await restarted.start()
    await restarted.join()
    await restarted.stop()
    assert [m["title"] for m in receiver.received] == ["resolved!"]


def test_urls_come_from_the_environment_and_a_missing_variable_is_named(receiver: Receiver) -> None:
    routes = [{"name": "ops", "urls": ["env:SSHMON_TEST_HOOK"]}]
    config = make_config(receiver, routes=routes)
    assert Notifier(config, env={"SSHMON_TEST_HOOK": receiver.url()}).routes == ["ops"]
    with pytest.raises(NotifyConfigError, match="SSHMON_TEST_HOOK is not set"):
        Notifier(config, env={})


async def test_tags_select_urls_from_an_apprise_config_file(
    receiver: Receiver, tmp_path: Path
) -> None:
    (tmp_path / "apprise.yml").write_text(
        f"urls:\n  - {receiver.url('tagged')}:\n    - tag: oncall\n", encoding="utf-8"
    )
    routes = [{"name": "ops", "tags": ["oncall"]}]
    config = make_config(receiver, routes=routes, apprise_config="apprise.yml")
    notifier = Notifier(config, base_dir=tmp_path)
    attempts = await notifier.deliver(Message("ops", "h", "hello", "b", "info"))
    assert attempts[-1].ok
    assert receiver.paths == ["/tagged"]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_the_outbox_retries_with_backoff_marks_notified_only_when_accepted_and_gives_up(
    receiver: Receiver, db: AlertsDB, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(1000.0)
    config = make_config(receiver, retry={"first_delay": 10, "max_delay": 60, "give_up_after": 100})
    notifier = Notifier(config, db=db, clock=clock)
    engine = AlertEngine(config, [host("web-1")], db=db, clock=clock)
    dispatcher = Dispatcher(
        config, notifier, OutboxStore(db), clock=clock, delivered=engine.delivered
    )
    engine.observe(ok("web-1", 1000), [pt("web-1", "mem_used_percent", 95, 1000)], 1000)
    engine.flush()
    receiver.fail_next(1)
    assert await dispatcher.dispatch(force=True) == 0.0  # tried, refused
    assert active_alerts(engine)[0].notified_at is None  # queued is not notified
    assert await dispatcher.dispatch() == 10.0  # first backoff
    clock.now = 1010.0
    await dispatcher.dispatch()
    assert active_alerts(engine)[0].notified_at == 1010.0
    assert [m["title"] for m in receiver.received] == ["[FIRING] web-1: memory: 95.0% > 90.0%"]
    assert OutboxStore(db).pending() == []

    receiver.fail_next(99)  # now a resolve nobody takes
    engine.observe(ok("web-1", 1020), [pt("web-1", "mem_used_percent", 10, 1020)], 1020)
    engine.flush()
    for now in (1030.0, 1100.0, 1200.0):
        clock.now = now
        await dispatcher.dispatch(force=True)
    [(notice, reason)] = OutboxStore(db).given_up()
    assert notice.change.value == "resolved"
    assert reason.startswith("no delivery within retry.give_up_after (100 s, last: ")
    assert any("gave up on 1 notice(s)" in r.getMessage() for r in caplog.records)
    assert OutboxStore(db).pending() == []


async def test_an_outage_and_its_reminders_go_out_as_one_message_per_route(
    receiver: Receiver, db: AlertsDB
) -> None:
    clock = Clock(0.0)
    routes = [
        {"name": "a", "urls": [receiver.url("a")], "group_wait": "30s"},
        {"name": "b", "urls": [receiver.url("b")], "group_wait": "30s"},
    ]
    rules = [{"name": "host_down", "poll": "down", "failures": 1, "repeat": "1h"}]
    config = make_config(receiver, routes=routes, rules=rules)
    names = [f"web-{i}" for i in range(1, 13)]
    notifier = Notifier(config, db=db, clock=clock)
    engine = AlertEngine(config, [host(n) for n in names], db=db, clock=clock)
    dispatcher = Dispatcher(config, notifier, OutboxStore(db), clock=clock)
    for i, name in enumerate(names):  # they fail one after the other, within 12 s
        clock.now = float(i)
        engine.observe(failed(name, clock.now), [], clock.now)
        engine.flush()  # as `run()` does after every change
    assert await dispatcher.dispatch() == 30.0 - 11.0  # waiting for the group to fill
    clock.now = 30.0
    await dispatcher.dispatch()
    clock.now = 3611.0
    engine.tick(clock.now)  # every reminder is due by now
    engine.flush()
    clock.now = 3641.0
    await dispatcher.dispatch()
    title = "host_down on 12 hosts: " + ", ".join(names)
    assert sorted(m["title"] for m in receiver.received) == [
        f"[FIRING] {title}",
        f"[FIRING] {title}",
        f"[STILL FIRING] {title}",
        f"[STILL FIRING] {title}",
    ]
    assert sorted(receiver.paths) == ["/a", "/a", "/b", "/b"]


def test_pollers_sharing_a_database_each_see_only_the_notices_they_wrote(db: AlertsDB) -> None:
    config = AlertsConfig.model_validate(
        {
            "defaults": False,
            "routes": [{"name": "ops", "urls": ["json://127.0.0.1:9/x"]}],
            "rules": [{"name": "host_down", "poll": "down", "failures": 1}],
        }
    )
    for owner, name in (("1/2", "web-1"), ("2/2", "web-2")):
        engine = AlertEngine(config, [host(name)], db=db, owner=owner)
        engine.observe(failed(name, 0), [], 0)
        engine.flush()
    assert [r.notice.host for r in OutboxStore(db, "1/2").pending()] == ["web-1"]
    assert [r.notice.host for r in OutboxStore(db, "2/2").pending()] == ["web-2"]
    assert OutboxStore(db).pending() == []
