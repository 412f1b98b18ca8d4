"""The alert engine: feeds every poll through the rules, keeps alert state, emits changes.

`observe()` runs once per poll of every host, so its hot path is a dict lookup by host and
metric and, for a value that is fine and was fine, nothing else (no allocation beyond the key).
`tick()` does what time alone changes: stale hosts, reminders, vanished series, mutes that end,
acknowledgements written by another process. Clocks are read only by the caller.

A change owed to receivers becomes a notice per route; `run()` writes notices in the same
transaction as the state that caused them (the outbox, see alerts/outbox.py and dispatch.py),
as soon as they happen and never on the event loop. After a restart, `load()` takes the state
back and rebuilds what lived only in memory (failed-poll counts) without a transition.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from alerts.composite import Latest
from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.decide import decide
from alerts.errors import NotFoundError
from alerts.messages import Notice, Transition, by_host
from alerts.mutes import MuteStore
from alerts.output import Output, Submitter
from alerts.persist import Key, StateStore
from alerts.rules import Compiled, HostRules, compile_host, inhibitors
from alerts.silences import Ack, Target
from alerts.state import (
    INACTIVE,
    AlertState,
    Change,
    Observation,
    Severity,
    Status,
    evaluate,
    level,
    remind,
    vanish,
)
from alerts.windows import Average, Trend
from poller.catalog import METRICS
from poller.collectors.registry import SLOW_ROUNDS
from poller.inventory import Host
from poller.points import HostState, Point, PollStatus
from store.records import AlertEvent

log = logging.getLogger(__name__)
DOWN_STATES = frozenset({HostState.UNREACHABLE, HostState.TIMEOUT, HostState.PROBE_FAILED})
RELOAD_EVERY_S = 15.0  # how soon a silence or ack written by the CLI takes effect
REMOVED = "host removed from the inventory"
INHIBITED = "inhibited by "


class AlertEngine:
    def __init__(
        self,
        config: AlertsConfig,
        hosts: Iterable[Host],
        *,
        store_events: Callable[[AlertEvent], None] | None = None,
        notifier: Submitter | None = None,
        db: AlertsDB | None = None,
        clock: Callable[[], float] = time.time,
        owner: str = "",
    ) -> None:
        self.config = config
        self._hosts = {h.name: h for h in hosts}
        self._rules: dict[str, HostRules] = {}
        self._status: dict[Key, Status] = {}
        self._dirty: dict[Key, Status | None] = {}
        self._windows: dict[Key, Average | Trend] = {}
        self._fails: dict[str, int] = {}
        self._down: dict[str, bool] = {}
        self._last_poll: dict[str, float] = {}
        self._reason: dict[str, str] = {}
        # the series composite (`all:`) rules read: one condition's new value meets the
        # others' latest
        self._latest = Latest()
        self._inhibitors = inhibitors(config)
        self._clock = clock
        self._next_reload = 0.0
        self.mutes = MuteStore(db) if db is not None else None
        self._state = StateStore(db, owner) if db is not None else None
        self._out = Output(config, self._hosts, store_events, notifier)
        self._notifier = notifier
        # written with the state in one transaction, then handed to `on_persisted`
        self._notices: list[Notice] = []
        self._acks: list[Ack] = []
        self._wake = asyncio.Event()
        self.on_persisted: Callable[[], None] | None = None

    # start-up ------------------------------------------------------------------------------

    def load(self, now: float) -> None:
        """Take back persisted alert state (firing stays firing, nothing is re-sent)."""
        if self._state is not None:
            self._status = self._state.load()
        self._rebuild_fails()
        self._reload(now)

    def _rebuild_fails(self) -> None:
        """The failed-poll count lives in memory; a restart would start it at 0, so the first
        failed poll of a host that is still down would resolve its alert (a false RESOLVED,
        then FIRING again, then FLAPPING). A down alert stores its count as its value: take the
        count back from it, without a transition."""
        down = {r.name for r in self.config.rules if r.poll == "down"}
        for (rule, host, _dev), st in self._status.items():
            if rule in down and st.active and math.isfinite(st.value):
                self._fails[host] = max(self._fails.get(host, 0), int(st.value))
                self._down[host] = True

    def reconfigure(
        self, config: AlertsConfig, hosts: Iterable[Host], now: float | None = None
    ) -> list[Transition]:
        """After the config file is reloaded: alerts of rules that still exist keep their
        state; those of removed rules (or hosts out of scope) are dropped at the next tick.
        Alerts of hosts removed from the inventory resolve now, saying so (a removed host
        must not fire forever, nor go stale five minutes later)."""
        now = self._clock() if now is None else now
        kept = {h.name: h for h in hosts}
        out: list[Transition] = []
        for key, st in list(self._status.items()):
            if key[1] not in kept:
                self._remove(key, st, now, out)
        for name in [n for n in self._hosts if n not in kept]:
            for per_host in (self._fails, self._down, self._last_poll, self._reason):
                per_host.pop(name, None)
        self._latest.keep_hosts(set(kept))
        self._inhibitors = inhibitors(config)
        old = {r.name: (r.reduce, r.window) for r in self.config.rules}
        new = {r.name: (r.reduce, r.window) for r in config.rules}
        self.config = self._out.config = config
        self._hosts.clear()
        self._hosts.update(kept)
        self._rules.clear()
        for key in [k for k in self._windows if old.get(k[0]) != new.get(k[0])]:
            del self._windows[key]
        for host, items in by_host(out).items():
            self._queue(self._out.emit(host, items))
        return out

    def hosts(self) -> list[Host]:
        """The hosts the engine knows (the inventory's, plus any that reported unannounced)."""
        return list(self._hosts.values())

    def _remove(self, key: Key, st: Status, now: float, out: list[Transition]) -> None:
        c = (self._rules.get(key[1]) or self._compile(key[1])).by_name.get(key[0])
        nxt, change = vanish(st, now)
        if c is not None and change is not None:
            self._commit(c, key, st, nxt, change, now, out, REMOVED)
        self._forget(key)

    # per poll ------------------------------------------------------------------------------

    def observe(self, status: PollStatus, points: Sequence[Point], now: float) -> list[Transition]:
        host = status.host
        rules = self._rules.get(host) or self._compile(host)
        out: list[Transition] = []
        self._poll(status, rules, now, out)
        if status.state is HostState.OK:
            by_metric = rules.by_metric
            composite: dict[str, tuple[Compiled, set[str]]] = {}
            for p in points:
                compiled = by_metric.get(p.metric)
                if compiled is not None:
                    for c in compiled:
                        if c.rule.all_:
                            self._latest.remember(p)
                            composite.setdefault(c.name, (c, set()))[1].add(p.dev)
                        elif c.wants(p.dev):
                            self._metric(c, p, now, out)
            # after the whole poll, so every condition is judged on this poll's values
            for c, devs in composite.values():
                self._composite(c, devs, now, out)
        if out:
            self._queue(self._out.emit(host, out))
        return out

    def _queue(self, notices: list[Notice]) -> None:
        if self._state is None:
            for n in notices:  # no database (tests): straight to whoever listens
                if self._notifier is not None:
                    self._notifier.submit(n)
            return
        self._notices += notices
        self._wake.set()  # persist now: a crash must not forget a change that was decided

    def _compile(self, host: str) -> HostRules:
        # a host the inventory does not know (yet) still gets the rules that cover everyone
        known = self._hosts.get(host) or Host(name=host, address=host)
        self._hosts.setdefault(host, known)
        rules = self._rules[host] = compile_host(self.config, known)
        return rules

    def _poll(
        self, status: PollStatus, rules: HostRules, now: float, out: list[Transition]
    ) -> None:
        host = status.host
        fails = self._fails[host] = (
            self._fails.get(host, 0) + 1 if status.state in DOWN_STATES else 0
        )
        self._down[host] = status.state is not HostState.OK
        self._last_poll[host] = now
        self._reason[host] = status.reason
        for cond, c in rules.by_poll.items():
            if cond == "stale":
                true = False  # a poll just arrived
            elif cond == "down":
                true = fails >= c.rule.failures
            else:
                true = status.state.value == cond
            value = float(fails) if cond == "down" else float(true)
            self._step(c, "", Observation(c.rule.severity if true else None, value), now, out)

    def _metric(self, c: Compiled, p: Point, now: float, out: list[Transition]) -> None:
        key = (c.name, p.host, p.dev)
        value = p.value
        if c.rule.reduce != "last":
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = (Average if c.rule.reduce == "avg" else Trend)(
                    c.rule.window
                )
            value = window.add(p.ts, value)
            if math.isnan(value):
                return  # not enough history to judge: unknown is neither fine nor bad
        prev = self._status.get(key)
        current = prev.severity if prev is not None and prev.active else None
        lvl = level(value, c.thresholds, current)
        if lvl is None and (prev is None or not (prev.active or prev.flapping)):
            return  # the common case: fine before, fine now
        self._step(c, p.dev, Observation(lvl, value), now, out)

    def _composite(self, c: Compiled, seen: set[str], now: float, out: list[Transition]) -> None:
        """An `all:` rule, judged on this poll's values and the latest of the others."""
        host = c.host.name
        for dev in self._latest.to_judge(c.rule, host, seen):
            if dev and not c.wants(dev):
                continue
            judged = self._latest.judge(c.rule, host, dev, now, self.config.series_gone_after)
            if judged is None:
                continue
            true, value = judged
            prev = self._status.get((c.name, host, dev))
            if not true and (prev is None or not (prev.active or prev.flapping)):
                continue  # the common case: fine before, fine now
            self._step(c, dev, Observation(c.rule.severity if true else None, value), now, out)

    def _step(
        self, c: Compiled, dev: str, obs: Observation, now: float, out: list[Transition]
    ) -> None:
        key = (c.name, c.host.name, dev)
        prev = self._status.get(key, INACTIVE)
        if obs.level is None and prev is INACTIVE:
            return
        params = c.params[obs.level or prev.severity or Severity.WARNING]
        nxt, change = evaluate(prev, obs, now, params)
        self._commit(c, key, prev, nxt, change, now, out)

    def _commit(
        self,
        c: Compiled,
        key: Key,
        prev: Status,
        nxt: Status,
        change: Change | None,
        now: float,
        out: list[Transition],
        reason: str | None = None,
    ) -> None:
        if change is None:
            if nxt is not prev:
                self._status[key] = nxt  # value only: not worth a database write per poll
            return
        muted = self._muted(c, now)
        host_down = c.rule.on_points and self._down.get(c.host.name, False)
        decision = decide(change, prev, muted, host_down)
        if decision.send and change is not Change.RESOLVED:
            nxt = replace(nxt, notified_at=now)
        self._status[key] = nxt
        self._dirty[key] = nxt
        self._wake.set()
        out.append(
            self._out.transition(
                c, key[2], nxt, change, decision, now, self._reason.get(c.host.name, ""), reason
            )
        )

    def _muted(self, c: Compiled, now: float) -> str | None:
        for by in self._inhibitors.get(c.name, ()):
            if self._fires(by, c.host.name):
                return f"{INHIBITED}{by}"
        jump = c.host.jump
        if c.rule.poll == "down" and jump and self._down.get(jump.rpartition("@")[2], False):
            # a bastion going down takes every host behind it along: page about the bastion
            return f"its jump host {jump} is down"
        if self.mutes is None:
            return None
        host = c.host
        target = Target(host.name, host.groups, c.name, {**dict(host.labels), **c.labels})
        return self.mutes.muted_by(target, now)

    def _fires(self, rule: str, host: str) -> bool:
        """Does `rule` fire on `host` (on any device)? Asked on transitions only, not per
        point, so a scan of the alerts is cheap enough."""
        return any(
            k[0] == rule and k[1] == host and st.state is AlertState.FIRING
            for k, st in self._status.items()
        )

    # time-driven ---------------------------------------------------------------------------

    def tick(self, now: float, *, reload: bool = True) -> list[Transition]:
        """What time alone changes. `run()` reloads mutes in a worker thread and passes
        reload=False; a caller without a loop (tests, CLI) lets tick read them itself."""
        if reload and now >= self._next_reload:
            self._reload(now)
        out: list[Transition] = []
        self._stale(now, out)
        for key, st in list(self._status.items()):
            self._housekeep(key, st, now, out)
        for host, items in by_host(out).items():
            self._queue(self._out.emit(host, items))
        return out

    def _stale(self, now: float, out: list[Transition]) -> None:
        for name in list(self._hosts):
            last = self._last_poll.get(name)
            if last is None:
                # a host with no data yet (just added, or just started) has nothing stale;
                # a poller that cannot reach it reports failed polls, which host_down covers
                continue
            rules = self._rules.get(name) or self._compile(name)
            c = rules.by_poll.get("stale")
            if c is None:
                continue
            silent = now - last
            true = silent >= self.config.stale_after
            self._step(c, "", Observation(c.rule.severity if true else None, silent), now, out)

    def _housekeep(self, key: Key, st: Status, now: float, out: list[Transition]) -> None:
        rules = self._rules.get(key[1]) or self._compile(key[1])
        c = rules.by_name.get(key[0])
        if c is None:  # the rule is gone from the config (or no longer covers this host)
            self._forget(key)
            return
        if st.state is AlertState.RESOLVED:
            if now - st.ended_at >= self.config.flap.window:
                self._forget(key)  # kept until here only so flap counting sees it
            return
        host_up = not self._down.get(key[1], False)
        if (
            c.rule.on_points
            and host_up
            and st.active
            and now - st.seen >= self._gone_after(c)
            and key[1] in self._last_poll
        ):
            nxt, change = vanish(st, now)
            self._commit(c, key, st, nxt, change, now, out, "no data for this series any more")
        elif st.state is AlertState.PENDING and (host_up or not c.rule.on_points):
            self._elapse(c, key, st, now, out)
        elif st.state is AlertState.FIRING and st.notified_at is None:
            self._unmuted(c, key, st, now, out)
        elif st.state is AlertState.FIRING:
            nxt, change = remind(st, now, c.params[st.severity or Severity.WARNING])
            if change is not None:
                self._commit(c, key, st, nxt, change, now, out)

    def _gone_after(self, c: Compiled) -> float:
        """Seconds without a sample before an alert's series counts as gone. A slow-round
        metric (df) is sampled only every interval x slow_every polls (stored only when
        measured), so it gets at least two of those periods before it is called gone; one
        read at every Nth slow round only (tcpstat, timex, systemd: `Source.every`) N times
        that."""
        gone = self.config.series_gone_after
        metric = c.rule.metric
        spec = METRICS.get(metric) if metric is not None else None
        if metric is not None and spec is not None and spec.slow:
            rounds = SLOW_ROUNDS.get(metric, 1)
            gone = max(gone, 2 * c.host.interval * c.host.slow_every * rounds)
        return gone

    def _elapse(self, c: Compiled, key: Key, st: Status, now: float, out: list[Transition]) -> None:
        """`for:` can run out between two samples of a slow series (df comes once a minute);
        the condition held at the last sample, so fire on time rather than at the next one."""
        params = c.params[st.severity or Severity.WARNING]
        if st.cond and now - st.since >= params.for_s:
            nxt, change = evaluate(st, Observation(st.severity, st.value), now, params)
            self._commit(c, key, st, nxt, change, now, out)

    def _unmuted(
        self, c: Compiled, key: Key, st: Status, now: float, out: list[Transition]
    ) -> None:
        """A firing alert nobody was told about (muted, or the host was down): tell them once
        the reason for keeping quiet is gone."""
        host_down = c.rule.on_points and self._down.get(c.host.name, False)
        if host_down or self._muted(c, now) is not None:
            return
        self._commit(
            c, key, st, st, Change.FIRING, now, out, "firing; what kept it quiet has ended"
        )

    def _forget(self, key: Key) -> None:
        self._status.pop(key, None)
        self._windows.pop(key, None)
        self._dirty[key] = None

    def _reload(self, now: float) -> None:
        self._next_reload = now + RELOAD_EVERY_S
        for ack in self._read_mutes(now):
            self._apply_ack(ack)

    def _read_mutes(self, now: float) -> list[Ack]:
        """Database reads only (safe in a worker thread): silences, windows, new acks."""
        if self.mutes is None:
            return []
        self.mutes.reload(now)
        return self.mutes.new_acks()

    # acknowledgements and views ------------------------------------------------------------

    def acknowledge(
        self, rule: str, host: str, dev: str, now: float, *, author: str = "", comment: str = ""
    ) -> Status:
        st = self._status.get((rule, host, dev))
        if st is None or st.state is not AlertState.FIRING:
            raise NotFoundError(f"no firing alert {rule} on {host}{' ' + dev if dev else ''}")
        ack = Ack(
            id=0, rule=rule, host=host, dev=dev, author=author, comment=comment, created_at=now
        )
        if self._state is not None:
            # written by the persisting thread with the state it changes, never on the loop
            self._acks.append(ack)
            self._wake.set()
        return self._apply_ack(ack)

    def delivered(self, keys: Sequence[Key], now: float) -> None:
        """A route accepted a message about these alerts (called by the dispatcher)."""
        for key in keys:
            st = self._status.get(key)
            if st is not None and st.state is not AlertState.INACTIVE:
                self._status[key] = self._dirty[key] = replace(st, delivered_at=now)
        self._wake.set()

    def _apply_ack(self, ack: Ack) -> Status:
        key = (ack.rule, ack.host, ack.dev)
        st = self._status.get(key, INACTIVE)
        # an ack made before this firing episode began does not cover it
        if st.state is AlertState.FIRING and ack.created_at >= st.fired_at and not st.acked:
            st = self._status[key] = self._dirty[key] = replace(st, acked=True)
        return st

    def quiet(self, key: Key, now: float) -> tuple[str, str] | None:
        """Why receivers are not told about this alert now, as (kind, words): kind is
        "suppressed" (its host is down, or the jump host in front of it), "silenced" (a
        silence or maintenance window) or "inhibited"; None when nothing keeps it quiet.
        An acknowledgement is on the status itself (`acked`)."""
        rules = self._rules.get(key[1]) or self._compile(key[1])
        c = rules.by_name.get(key[0])
        if c is None:
            return None
        if c.rule.on_points and self._down.get(key[1], False):
            return ("suppressed", "host down")
        muted = self._muted(c, now)
        if muted is None:
            return None
        if muted.startswith(INHIBITED):
            return ("inhibited", muted)
        return ("suppressed" if muted.startswith("its jump host") else "silenced", muted)

    def alerts(self) -> list[tuple[Key, Status]]:
        """Pending and firing alerts now (for the API), most severe and oldest first."""
        live = [(k, s) for k, s in self._status.items() if s.active]
        return sorted(
            live,
            key=lambda ks: (
                ks[1].state is not AlertState.FIRING,
                ks[1].severity is not Severity.CRITICAL,
                ks[1].since,
            ),
        )

    # persistence ---------------------------------------------------------------------------

    def _take(self) -> tuple[dict[Key, Status | None], list[Notice], list[Ack]]:
        taken = (self._dirty, self._notices, self._acks)
        self._dirty, self._notices, self._acks = {}, [], []
        return taken

    def flush(self) -> bool:
        """Write changed state, owed notices and acks now, in the caller's thread (tests,
        shutdown); `run()` does the same in its own thread as soon as something changes.
        True when notices were written (the caller wakes the dispatcher, on the loop)."""
        dirty, notices, acks = self._take()
        if self._state is not None and (dirty or notices or acks):
            self._state.save(dirty, self._clock(), notices, acks)
        return bool(notices) and self._state is not None

    async def run(self, interval: float = 5.0) -> None:
        """Tick every `interval`, persist as soon as anything changed, until cancelled.

        Every database call runs in one dedicated thread, in order: a slow database
        (PostgreSQL across a network) then delays persistence, never a poll."""
        loop = asyncio.get_running_loop()
        pool = ThreadPoolExecutor(1, thread_name_prefix="alerts-db")
        next_tick = self._clock()
        try:
            while True:
                now = self._clock()
                if now >= self._next_reload:
                    self._next_reload = now + RELOAD_EVERY_S
                    for ack in await loop.run_in_executor(pool, self._read_mutes, now):
                        self._apply_ack(ack)
                if now >= next_tick:
                    self.tick(now, reload=False)
                    next_tick = now + interval
                dirty, notices, acks = self._take()
                if self._state is not None and (dirty or notices or acks):
                    save = self._state.save
                    await loop.run_in_executor(pool, save, dirty, self._clock(), notices, acks)
                    if notices and self.on_persisted is not None:
                        self.on_persisted()
                if self._dirty or self._notices or self._acks:
                    continue  # changed while we were writing
                self._wake.clear()
                left = max(0.0, next_tick - self._clock())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), left)
        finally:
            pool.shutdown(wait=True)
            if self.flush() and self.on_persisted is not None:
                self.on_persisted()
