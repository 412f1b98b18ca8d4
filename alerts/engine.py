"""The alert engine: feeds every poll through the rules, keeps alert state, emits changes.

`observe()` runs once per poll of every host, so its hot path is a dict lookup by host and
metric and, for a value that is fine and was fine, nothing else (no allocation beyond the key).
`tick()` does what time alone changes: stale hosts, reminders, vanished series, mutes that end,
acknowledgements written by another process. Clocks are read only by the caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.decide import decide
from alerts.errors import NotFoundError
from alerts.messages import Transition, by_host
from alerts.mutes import MuteStore
from alerts.output import Output, Submitter
from alerts.persist import Key, StateStore
from alerts.rules import Compiled, HostRules, compile_host
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
from poller.inventory import Host
from poller.points import HostState, Point, PollStatus
from store.records import AlertEvent

log = logging.getLogger(__name__)
DOWN_STATES = frozenset({HostState.UNREACHABLE, HostState.TIMEOUT, HostState.PROBE_FAILED})
RELOAD_EVERY_S = 15.0  # how soon a silence or ack written by the CLI takes effect


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
        self._clock = clock
        self._started = clock()
        self._next_reload = 0.0
        self.mutes = MuteStore(db) if db is not None else None
        self._state = StateStore(db) if db is not None else None
        self._out = Output(config, self._hosts, store_events, notifier)

    # start-up ------------------------------------------------------------------------------

    def load(self, now: float) -> None:
        """Take back persisted alert state (firing stays firing, nothing is re-sent)."""
        if self._state is not None:
            self._status = self._state.load()
        self._started = now
        self._reload(now)

    def reconfigure(self, config: AlertsConfig, hosts: Iterable[Host]) -> None:
        """After the config file is reloaded: alerts of rules that still exist keep their
        state; those of removed rules (or hosts out of scope) are dropped at the next tick."""
        old = {r.name: (r.reduce, r.window) for r in self.config.rules}
        new = {r.name: (r.reduce, r.window) for r in config.rules}
        self.config = self._out.config = config
        self._hosts.clear()
        self._hosts.update((h.name, h) for h in hosts)
        self._rules.clear()
        for key in [k for k in self._windows if old.get(k[0]) != new.get(k[0])]:
            del self._windows[key]

    # per poll ------------------------------------------------------------------------------

    def observe(self, status: PollStatus, points: Sequence[Point], now: float) -> list[Transition]:
        host = status.host
        rules = self._rules.get(host) or self._compile(host)
        out: list[Transition] = []
        self._poll(status, rules, now, out)
        if status.state is HostState.OK:
            by_metric = rules.by_metric
            for p in points:
                compiled = by_metric.get(p.metric)
                if compiled is not None:
                    for c in compiled:
                        if c.wants(p.dev):
                            self._metric(c, p, now, out)
        if out:
            self._out.emit(host, out)
        return out

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
        prev = self._status.get(key)
        current = prev.severity if prev is not None and prev.active else None
        lvl = level(value, c.thresholds, current)
        if lvl is None and (prev is None or not (prev.active or prev.flapping)):
            return  # the common case: fine before, fine now
        self._step(c, p.dev, Observation(lvl, value), now, out)

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
        host_down = c.rule.metric is not None and self._down.get(c.host.name, False)
        decision = decide(change, prev, muted, host_down)
        if decision.send and change is not Change.RESOLVED:
            nxt = replace(nxt, notified_at=now)
        self._status[key] = nxt
        self._dirty[key] = nxt
        out.append(
            self._out.transition(
                c, key[2], nxt, change, decision, now, self._reason.get(c.host.name, ""), reason
            )
        )

    def _muted(self, c: Compiled, now: float) -> str | None:
        jump = c.host.jump
        if c.rule.poll == "down" and jump and self._down.get(jump.rpartition("@")[2], False):
            # a bastion going down takes every host behind it along: page about the bastion
            return f"its jump host {jump} is down"
        if self.mutes is None:
            return None
        host = c.host
        target = Target(host.name, host.groups, c.name, {**dict(host.labels), **c.labels})
        return self.mutes.muted_by(target, now)

    # time-driven ---------------------------------------------------------------------------

    def tick(self, now: float) -> list[Transition]:
        if now >= self._next_reload:
            self._reload(now)
        out: list[Transition] = []
        self._stale(now, out)
        for key, st in list(self._status.items()):
            self._housekeep(key, st, now, out)
        for host, items in by_host(out).items():
            self._out.emit(host, items)
        return out

    def _stale(self, now: float, out: list[Transition]) -> None:
        for name in self._hosts:
            rules = self._rules.get(name) or self._compile(name)
            c = rules.by_poll.get("stale")
            if c is None:
                continue
            silent = now - self._last_poll.get(name, self._started)
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
            c.rule.metric is not None
            and host_up
            and st.active
            and now - st.seen >= self._gone_after(c)
            and key[1] in self._last_poll
        ):
            nxt, change = vanish(st, now)
            self._commit(c, key, st, nxt, change, now, out, "no data for this series any more")
        elif st.state is AlertState.PENDING and (host_up or c.rule.metric is None):
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
        measured), so it gets at least two of those periods before it is called gone."""
        gone = self.config.series_gone_after
        spec = METRICS.get(c.rule.metric) if c.rule.metric is not None else None
        if spec is not None and spec.slow:
            gone = max(gone, 2 * c.host.interval * c.host.slow_every)
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
        host_down = c.rule.metric is not None and self._down.get(c.host.name, False)
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
        if self.mutes is None:
            return
        self.mutes.reload(now)
        for ack in self.mutes.new_acks():
            self._apply_ack(ack)

    # acknowledgements and views ------------------------------------------------------------

    def acknowledge(
        self, rule: str, host: str, dev: str, now: float, *, author: str = "", comment: str = ""
    ) -> Status:
        st = self._status.get((rule, host, dev))
        if st is None or st.state is not AlertState.FIRING:
            raise NotFoundError(f"no firing alert {rule} on {host}{' ' + dev if dev else ''}")
        if self.mutes is not None:
            self.mutes.add_ack(rule, host, dev, now, author=author, comment=comment)
            self.mutes.new_acks()  # our own row: skip it on the next reload
        return self._apply_ack(
            Ack(id=0, rule=rule, host=host, dev=dev, author=author, comment=comment, created_at=now)
        )

    def _apply_ack(self, ack: Ack) -> Status:
        key = (ack.rule, ack.host, ack.dev)
        st = self._status.get(key, INACTIVE)
        # an ack made before this firing episode began does not cover it
        if st.state is AlertState.FIRING and ack.created_at >= st.fired_at and not st.acked:
            st = self._status[key] = self._dirty[key] = replace(st, acked=True)
        return st

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

    def flush(self) -> None:
        """Write changed alert state (call from tick's caller, or let `run()` do it)."""
        dirty, self._dirty = self._dirty, {}
        if self._state is not None and dirty:
            self._state.save(dirty, self._clock())

    async def run(self, interval: float = 5.0) -> None:
        """Tick and persist until cancelled; database writes happen in a worker thread."""
        try:
            while True:
                self.tick(self._clock())
                dirty, self._dirty = self._dirty, {}
                if self._state is not None and dirty:
                    await asyncio.to_thread(self._state.save, dirty, self._clock())
                await asyncio.sleep(interval)
        finally:
            self.flush()
