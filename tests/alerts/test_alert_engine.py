"""The engine stepped through time: polls in, changes, stored events and messages out."""

from __future__ import annotations

from pathlib import Path

import pytest
from alerts_helpers import failed, host, ok, pt

from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.engine import AlertEngine
from alerts.errors import NotFoundError
from alerts.messages import Message, Notice, compose_group
from alerts.outbox import OutboxStore
from alerts.silences import Matcher, Schedule
from alerts.state import AlertState, Change
from poller.points import HostState
from store.records import AlertEvent

RULES = {
    "defaults": False,
    "repeat": "1h",
    "flap": {"changes": 0},
    # tests that step far ahead without polling would see these; their own tests set them
    "stale_after": "30d",
    "series_gone_after": "30d",
    "routes": [{"name": "ops", "urls": ["json://127.0.0.1:9/x"]}],
    "rules": [
        {"name": "host_down", "poll": "down", "failures": 3},
        {"name": "host_key_changed", "poll": "host_key_changed"},
        {"name": "stale", "poll": "stale", "severity": "warning"},
        {"name": "mem", "metric": "mem_used_percent", "warning": 80, "critical": 90, "for": "60s"},
        {"name": "fs", "metric": "fs_used_percent", "warning": 85, "exclude_devices": ["/run*"]},
    ],
}


class Outbox:
    """Notices as messages, one each (grouping is the dispatcher's, tested on its own)."""

    def __init__(self, db: AlertsDB | None) -> None:
        self._messages: list[Message] = []
        self.notices: list[Notice] = []
        self.db = db

    def submit(self, notice: Notice) -> None:
        self.notices.append(notice)
        self._messages.append(compose_group(notice.route, [notice]))

    @property
    def messages(self) -> list[Message]:
        if self.db is None:
            return self._messages
        # with a database the engine writes notices to the outbox table with its state
        return [compose_group(r.notice.route, [r.notice]) for r in OutboxStore(self.db).pending()]


class Rig:
    def __init__(self, db: AlertsDB | None = None, **overrides: object) -> None:
        self.config = AlertsConfig.model_validate({**RULES, **overrides})
        self.events: list[AlertEvent] = []
        self.outbox = Outbox(db)
        self.db = db
        self.engine = self.new_engine()

    def new_engine(self) -> AlertEngine:
        engine = AlertEngine(
            self.config,
            [host("web-1", ("web",)), host("db-1", ("db",))],
            store_events=self.events.append,
            notifier=self.outbox,
            db=self.db,
            clock=lambda: 0.0,
        )
        engine.load(0.0)
        return engine

    def poll(
        self,
        t: float,
        mem: float | None = None,
        fs: dict[str, float] | None = None,
        name: str = "web-1",
        state: HostState = HostState.OK,
    ) -> list[tuple[str, Change]]:
        if state is not HostState.OK:
            changes = self.engine.observe(failed(name, t, state), [], t)
        else:
            points = [] if mem is None else [pt(name, "mem_used_percent", mem, t)]
            points += [pt(name, "fs_used_percent", v, t, dev) for dev, v in (fs or {}).items()]
            changes = self.engine.observe(ok(name, t), points, t)
        return [(c.rule, c.change) for c in changes]

    def sent(self) -> list[str]:
        self.engine.flush()
        return [m.title for m in self.outbox.messages]


def test_a_metric_goes_pending_fires_after_for_and_resolves_with_its_duration() -> None:
    rig = Rig()
    assert rig.poll(0, mem=50) == []
    assert rig.poll(10, mem=85) == [("mem", Change.PENDING)]
    assert rig.poll(60, mem=86) == []
    assert rig.sent() == []  # pending is stored, never sent
    assert rig.poll(70, mem=86) == [("mem", Change.FIRING)]
    assert rig.sent() == ["[FIRING] web-1: mem: 86.0% > 80.0%"]
    assert rig.poll(80, mem=95) == [("mem", Change.ESCALATED)]
    assert rig.poll(3670, mem=40) == [("mem", Change.RESOLVED)]
    body = rig.outbox.messages[-1].body
    assert body.startswith("RESOLVED: mem resolved: 40.0% (threshold > 90.0%) after 1h 1m\n")
    assert body.endswith("Host: http://127.0.0.1:8080/hosts/web-1")
    assert [(e.state, e.labels["change"]) for e in rig.events] == [
        ("pending", "pending"),
        ("firing", "firing"),
        ("firing", "escalated"),
        ("resolved", "resolved"),
    ]


def test_changes_of_one_poll_are_notices_that_group_into_one_message() -> None:
    rig = Rig()
    changes = rig.poll(0, fs={"/": 90, "/var": 91, "/run/user": 99})
    assert changes == [("fs", Change.FIRING), ("fs", Change.FIRING)]  # /run* excluded
    message = compose_group("ops", rig.outbox.notices)
    assert message.title == "[FIRING] web-1: 2 alerts (fs)"
    assert "fs on /: 90.0% > 85.0%" in message.body
    assert "fs on /var: 91.0% > 85.0%" in message.body


def test_a_down_host_sends_one_alert_and_its_metric_alerts_neither_fire_nor_resolve() -> None:
    rig = Rig()
    rig.poll(0, fs={"/": 90})
    assert rig.sent() == ["[FIRING] web-1: fs on /: 90.0% > 85.0%"]
    for t in (10, 20):
        assert rig.poll(t, state=HostState.UNREACHABLE) == []
    assert rig.poll(30, state=HostState.UNREACHABLE) == [("host_down", Change.FIRING)]
    # hours later: no reminder for the fs alert, no "resolved" for a series that stopped
    for t in range(40, 7200, 600):
        rig.poll(t, state=HostState.UNREACHABLE)
        rig.engine.tick(t + 1)
    titles = rig.sent()
    assert titles[1].startswith("[FIRING] web-1: host_down")
    assert all("fs" not in t for t in titles[2:])
    assert [k for k, s in rig.engine.alerts() if k[0] == "fs"] == [("fs", "web-1", "/")]
    assert rig.poll(7300, fs={"/": 90}) == [("host_down", Change.RESOLVED)]


def test_a_changed_host_key_fires_at_once() -> None:
    rig = Rig()
    assert rig.poll(0, state=HostState.HOST_KEY_CHANGED) == [("host_key_changed", Change.FIRING)]


def test_stale_data_fires_from_tick_and_clears_on_the_next_poll() -> None:
    rig = Rig(stale_after="5m")
    rig.poll(0, mem=10)
    rig.poll(0, mem=10, name="db-1")
    assert rig.engine.tick(299) == []
    stale = rig.engine.tick(300)
    assert [(t.host, t.rule, t.change) for t in stale] == [
        ("web-1", "stale", Change.FIRING),
        ("db-1", "stale", Change.FIRING),
    ]
    assert rig.poll(310, mem=10) == [("stale", Change.RESOLVED)]


def test_a_host_with_no_data_yet_has_nothing_stale() -> None:
    rig = Rig(stale_after="5m")
    assert rig.engine.tick(3600) == []  # neither host ever answered: host_down's business
    rig.engine.reconfigure(rig.config, [host("web-1"), host("db-1"), host("new-1")], 3600)
    assert rig.engine.tick(3600 + 301) == []


def test_reminders_follow_the_repeat_interval_and_stop_when_acknowledged(tmp_path: Path) -> None:
    rig = Rig(db=AlertsDB(f"sqlite:///{tmp_path / 'a.db'}"))
    rig.poll(0, fs={"/": 90})
    assert [t.change for t in rig.engine.tick(3599)] == []
    assert [t.change for t in rig.engine.tick(3600)] == [Change.REMINDER]
    assert rig.sent()[-1].startswith("[STILL FIRING] web-1: fs on /")
    rig.engine.acknowledge("fs", "web-1", "/", 3700, author="ann", comment="on it")
    reminders = rig.engine.tick(7300)
    assert reminders == [] and len(rig.outbox.messages) == 2
    with pytest.raises(NotFoundError):
        rig.engine.acknowledge("fs", "web-1", "/nope", 3700)


def test_an_ack_written_by_another_process_is_picked_up_on_reload(db: AlertsDB) -> None:
    rig = Rig(db=db)
    rig.poll(0, fs={"/": 90})
    other = Rig(db=db)  # e.g. `sshmon alerts ack` in another process
    assert other.engine.mutes is not None
    other.engine.mutes.add_ack("fs", "web-1", "/", 10, author="bob")
    rig.engine.tick(3600 + 30)  # past the reload interval
    assert rig.engine.alerts()[0][1].acked
    assert all("STILL" not in t for t in rig.sent())


def test_a_silenced_alert_changes_state_but_sends_nothing_until_the_silence_ends(
    db: AlertsDB,
) -> None:
    rig = Rig(db=db)
    assert rig.engine.mutes is not None
    rig.engine.mutes.add_silence(
        Matcher(rules=["fs"], hosts=["web-1"]),
        ends_at=600,
        now=0,
        comment="disk swap",
        author="ann",
    )
    assert rig.poll(10, fs={"/": 90}) == [("fs", Change.FIRING)]
    assert rig.sent() == []
    assert "muted by silence #1" in rig.events[-1].labels["notify"]
    assert rig.engine.tick(599) == []
    [late] = rig.engine.tick(600)
    assert (late.change, late.send) == (Change.FIRING, True)
    assert rig.sent() == ["[FIRING] web-1: fs on /: 90.0% > 85.0%"]


def test_a_maintenance_window_mutes_its_group_only_while_it_is_open(db: AlertsDB) -> None:
    rig = Rig(db=db)
    assert rig.engine.mutes is not None
    nightly = Schedule(kind="daily", at="02:00", duration=3600)
    rig.engine.mutes.add_maintenance("backups", Matcher(groups=["db"]), nightly, now=0)
    two_am = 2 * 3600
    rig.poll(two_am + 60, fs={"/": 90}, name="db-1")
    rig.poll(two_am + 60, fs={"/": 90}, name="web-1")
    assert rig.sent() == ["[FIRING] web-1: fs on /: 90.0% > 85.0%"]
    assert "maintenance #1 'backups'" in rig.events[0].labels["notify"]
    assert rig.engine.tick(two_am + 3599) == []
    [after] = rig.engine.tick(two_am + 3600)
    assert (after.host, after.change, after.send) == ("db-1", Change.FIRING, True)


def test_restart_keeps_firing_alerts_without_renotifying_and_still_sends_resolved(
    db: AlertsDB,
) -> None:
    rig = Rig(db=db)
    rig.poll(0, fs={"/": 90})
    rig.engine.flush()
    assert len(rig.outbox.messages) == 1
    rig.engine = rig.new_engine()  # the restart: same database, fresh process state
    assert rig.engine.alerts()[0][1].state is AlertState.FIRING
    assert rig.poll(10, fs={"/": 91}) == []
    assert rig.engine.tick(20) == []
    assert len(rig.outbox.messages) == 1  # no storm
    assert rig.poll(30, fs={"/": 50}) == [("fs", Change.RESOLVED)]
    assert rig.sent()[-1].startswith("[RESOLVED] web-1: fs on /")
    rig.engine.flush()
    assert rig.new_engine().alerts() == []


def test_a_series_that_disappears_from_a_live_host_resolves() -> None:
    rig = Rig(series_gone_after="10m")
    rig.poll(0, fs={"/mnt/usb": 99})
    for t in range(10, 700, 10):
        rig.poll(t, fs={"/": 10})
    changes = rig.engine.tick(700)
    assert [(t.dev, t.change) for t in changes] == [("/mnt/usb", Change.RESOLVED)]


def test_a_df_series_sampled_every_slow_round_fires_and_is_not_called_gone() -> None:
    """fs points come only at the polls that run df (every 12th poll at 10 s: 2 min), so
    a full disk must fire and stay firing even when series_gone_after is shorter."""
    rig = Rig(series_gone_after="1m")
    changes = []
    for t in range(0, 1200, 10):
        changes += rig.poll(t, fs={"/": 99} if t % 120 == 0 else None)
        changes += [(c.rule, c.change) for c in rig.engine.tick(t + 5)]
    assert changes == [("fs", Change.FIRING)]
    # gone for real (no df for two slow rounds): then it resolves
    for t in range(1200, 1500, 10):
        changes += rig.poll(t)
        changes += [(c.rule, c.change) for c in rig.engine.tick(t + 5)]
    assert changes == [("fs", Change.FIRING), ("fs", Change.RESOLVED)]


def test_a_series_read_every_fifth_slow_round_is_not_called_gone_between_its_reads() -> None:
    """tcp_connections comes from `ss`, read at every 5th slow round only (Source.every):
    a sample every 600 s at 10 s x 12. The df allowance (two slow rounds, 240 s) would
    resolve it between two samples; it gets two of its own periods instead (1200 s)."""
    rule = {"name": "close_wait", "metric": "tcp_connections", "warning": 100}
    rig = Rig(series_gone_after="1m", rules=[rule])
    changes = []

    def poll(t: int, value: float | None) -> None:
        points = [] if value is None else [pt("web-1", "tcp_connections", value, t, "CLOSE_WAIT")]
        seen = rig.engine.observe(ok("web-1", t), points, t)
        seen += rig.engine.tick(t + 5)
        changes.extend((c.rule, c.change) for c in seen)

    for t in range(0, 3000, 10):
        poll(t, 150 if t % 600 == 0 else None)
    assert changes == [("close_wait", Change.FIRING)]
    # gone for real (no reading for two of its periods): then it resolves, not before
    for t in range(3000, 4000, 10):
        poll(t, None)
        if t < 2400 + 1200:
            assert changes == [("close_wait", Change.FIRING)], t
    assert changes == [("close_wait", Change.FIRING), ("close_wait", Change.RESOLVED)]


def test_for_can_elapse_between_two_samples_and_fires_from_tick() -> None:
    rig = Rig()
    assert rig.poll(0, mem=85) == [("mem", Change.PENDING)]
    assert rig.engine.tick(59) == []
    [fired] = rig.engine.tick(60)
    assert (fired.rule, fired.change, fired.send) == ("mem", Change.FIRING, True)


def test_a_pending_metric_alert_does_not_fire_while_its_host_is_down() -> None:
    rig = Rig()
    rig.poll(0, mem=85)
    rig.poll(30, state=HostState.TIMEOUT)
    assert rig.engine.tick(120) == []


def test_reconfigure_keeps_alerts_of_kept_rules_and_drops_removed_ones() -> None:
    rig = Rig()
    rig.poll(0, mem=95, fs={"/": 90})
    rig.poll(60, mem=95, fs={"/": 90})
    assert sorted(k[0] for k, _ in rig.engine.alerts()) == ["fs", "mem"]
    rules = [r for r in RULES["rules"] if r["name"] != "fs"]  # type: ignore[union-attr]
    rig.engine.reconfigure(
        AlertsConfig.model_validate({**RULES, "rules": rules}), [host("web-1", ("web",))]
    )
    assert rig.engine.tick(70) == []
    assert [k[0] for k, _ in rig.engine.alerts()] == ["mem"]
    assert rig.poll(80, mem=10) == [("mem", Change.RESOLVED)]


def test_hosts_behind_a_dead_jump_host_do_not_each_page() -> None:
    config = AlertsConfig.model_validate(RULES)
    outbox = Outbox(None)
    hosts = [host("bastion")] + [
        host(f"app-{i}").model_copy(update={"jump": "ops@bastion"}) for i in range(3)
    ]
    engine = AlertEngine(config, hosts, notifier=outbox)
    for t in (0, 10, 20):
        for h in hosts:
            engine.observe(failed(h.name, t), [], t)
    assert [m.title for m in outbox.messages] == ["[FIRING] bastion: host_down: connection refused"]
    assert {k[1] for k, s in engine.alerts()} == {"bastion", "app-0", "app-1", "app-2"}


def test_history_says_what_happened_when_a_pending_alert_clears_or_an_alert_resolves() -> None:
    rig = Rig()
    rig.poll(0, mem=85)
    rig.poll(30, mem=50)
    for t in (40, 50, 60):
        rig.poll(t, state=HostState.UNREACHABLE)
    rig.poll(310, mem=50)
    assert [e.message for e in rig.events] == [
        "mem: 85.0% > 80.0%",
        "mem cleared before `for:` elapsed: 50.0% (threshold > 80.0%)",
        "host_down: connection refused",
        "host_down resolved: polls succeed again after 4m",
    ]
