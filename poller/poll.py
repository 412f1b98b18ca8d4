"""One host's polls: link → framed output → readings → points, plus reconnect backoff.

`HostPoller.poll()` is what the scheduler calls on every tick of a host. It never raises for
anything a target or the network does: every failure comes back as a `PollOutcome` whose
status names the failure (poller/errors.py). The clock and the RNG are injected (rule 10).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from parsers.frame import split
from poller import probe
from poller.collectors import custom, registry
from poller.collectors.base import Collector
from poller.collectors.custom import CustomResult
from poller.collectors.registry import parse_all
from poller.collectors.status import CollectorStatus, StatusPlan, status_plans, statuses
from poller.derive import Snapshot, derive, for_rates, host_info
from poller.derive_cap import Capped, cap_devices
from poller.errors import PollError, PollTimeout, ProbeFailed
from poller.inventory import CommandSetting, Host
from poller.points import HostInfo, HostState, Point, PollStatus
from poller.transport import Mode, RawPoll

log = logging.getLogger(__name__)

FAST_PATHS = {path: name for name, path in probe.FAST_FILES.items()}
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
# One jitter source for every host of the process: a Random is 2.5 KB of Mersenne Twister
# state, a sizeable share of what a host costs at 5,000 hosts (issue 15).
_JITTER = random.Random()


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def time(self) -> float: ...


class Link(Protocol):
    mode: Mode

    @property
    def connected(self) -> bool: ...
    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class PollOutcome:
    """Everything one poll produced, handed to the sink (writer, alerts, live view)."""

    status: PollStatus
    points: list[Point] = field(default_factory=list)
    host_info: HostInfo | None = None
    readings: Mapping[str, object] = field(default_factory=dict)
    failures: Mapping[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # only when asked for (`sshmon probe --raw`)
    connect_s: float | None = None  # set when this poll (re)connected
    schedule_lag_s: float = 0.0  # how late after its tick the poll started (scheduler)
    # section -> devices left out over the host's max_devices (poller/derive_cap.py)
    dropped: Mapping[str, int] = field(default_factory=dict)
    # collector -> ok / unavailable / failed of this poll (collectors whose sections ran)
    collectors: Mapping[str, CollectorStatus] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Shape:
    """What a host's settings make of its polls: the same for every host with the same
    collectors, textfile directory and commands, so built once and shared between them."""

    collectors: tuple[Collector, ...]
    plan: probe.Plan
    status_plans: tuple[StatusPlan, ...]
    fast_paths: dict[str, str]  # file path -> section name (shared: read only)
    fast_globs: tuple[tuple[str, str], ...]
    slow_sections: frozenset[str]
    # slow readings that hold until the next slow round (the page size): derivation sees
    # them at every poll, not only at the one that read them
    held_sections: frozenset[str]
    # slow readings kept for the next slow round's rates (cgroups, Source.carried)
    carried: frozenset[str]


@lru_cache(maxsize=256)
def _shape_of(
    collectors: tuple[str, ...], textfile_dir: str | None, commands: tuple[CommandSetting, ...]
) -> _Shape:
    enabled = registry.enabled(collectors)
    plan = probe.plan_of(collectors, textfile_dir, commands)
    slow = frozenset((*plan.slow_files, *plan.slow_globs, *plan.slow_commands))
    sources = registry.sources(enabled)
    return _Shape(
        enabled,
        plan,
        status_plans(enabled),
        {path: name for name, path in plan.fast_files.items()},
        probe.glob_order(plan),
        slow,
        frozenset(name for name in slow if sources[name].held),
        frozenset(s.section for s in sources.values() if s.carried),
    )


def backoff_s(failures: int, rng: random.Random) -> float:
    """Delay before reconnect attempt `failures`+1: exponential, capped, with jitter so a
    fleet that lost its network does not come back in one synchronised wave."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, failures - 1))
    return float(ceiling * (0.5 + rng.random() / 2))


class HostPoller:
    """Polls one host through its link; keeps what rates and slow sections need."""

    def __init__(
        self,
        host: Host,
        link: Link,
        clock: Clock,
        rng: random.Random | None = None,
        nonce: Callable[[], str] = probe.new_nonce,
    ) -> None:
        self.host = host
        self.link = link
        self._clock = clock
        self._rng = rng or _JITTER
        self._nonce = nonce
        self._previous: Snapshot | None = None
        self._slow: dict[str, object] = {}
        self._user: dict[str, object] = {}  # user collector -> its newest CustomReading
        # polls tried since the last slow round; None: a slow round is due at once (a new
        # connection, or the first poll)
        self._since_slow: int | None = None
        shape = _shape_of(host.collectors, host.textfile_dir, host.commands)
        self._collectors = shape.collectors
        self._plan = shape.plan
        self._status_plans = shape.status_plans
        self._fast_paths = shape.fast_paths
        self._fast_globs = shape.fast_globs
        self._slow_sections = shape.slow_sections
        self._held_sections = shape.held_sections
        self._carried = shape.carried
        self._polls = 0  # rounds tried, for the commands' `every`
        # the rarer slow cadences (`Source.every`): slow rounds tried, and the round each
        # cadence last ran at (none: due at the next slow round, as after a new connection)
        self._slow_rounds = 0
        self._rare_ran: dict[int, int] = {}
        # the slow sections the current poll reads (all of them but the rarer ones not due)
        self._reading_slow: frozenset[str] = frozenset()
        self._failures = 0
        self._retry_at = float("-inf")
        self._last_error: PollError | None = None

    async def poll(self, *, keep_raw: bool = False, force_slow: bool = False) -> PollOutcome:
        started, ts = self._clock.monotonic(), self._clock.time()
        if started < self._retry_at and self._last_error is not None:
            wait = self._retry_at - started
            reason = f"{self._last_error.reason} (next attempt in {wait:.0f} s)"
            return self._failed(ts, 0.0, self._last_error.state, reason)
        slow = force_slow or self._slow_due()
        rare = self._rare_due(force_slow) if slow else ()
        self._reading_slow = self._plan.sections_of(rare) if slow else frozenset()
        nonce = self._nonce()
        due = self._commands_due()
        try:
            raw = await self.link.poll(nonce, slow=slow, due=due, rare=rare)
        except PollError as exc:
            self._count_round(slow)
            return self._link_failed(exc, ts, started)
        self._count_round(slow, rare)
        self._failures = 0
        self._last_error = None
        outcome = self._process(raw, nonce, ts, started, slow, due)
        if keep_raw:
            outcome = _with_raw(outcome, raw)
        return outcome

    def _slow_due(self) -> bool:
        """The first poll of a connection, then every slow_every-th, carries the slow
        sections. A slow round that timed out is tried again on that schedule, not on the
        next poll: before, a hung df made every poll a slow one that timed out in turn."""
        if self._since_slow is None:
            return True
        if not self.link.connected and not isinstance(self._last_error, PollTimeout):
            return True  # a new connection (a reboot, maybe): fresh host info
        return self._since_slow + 1 >= self.host.slow_every

    def _rare_due(self, force: bool) -> tuple[int, ...]:
        """The rarer cadences this slow round reads: each once its `every` slow rounds have
        passed since it last ran, and all of them at the first poll of a connection (a
        reboot may have changed the kernel) or when forced (`sshmon probe`). A round that
        failed does not count as run: its rare sections come at the next slow round."""
        if force or self._since_slow is None or not self.link.connected:
            self._rare_ran.clear()
        n, ran = self._slow_rounds, self._rare_ran
        return tuple(c for c in self._plan.cadences if c not in ran or n - ran[c] >= c)

    def _commands_due(self) -> tuple[int, ...]:
        """Indexes of the user commands to run this round: each every `every` rounds,
        all of them on the first."""
        n = self._polls
        return tuple(i for i, c in enumerate(self._plan.commands) if n % c.every == 0)

    def _count_round(self, slow: bool, rare: tuple[int, ...] = ()) -> None:
        """Count every round tried, failed ones too, towards the slow schedule; `rare`: the
        rarer cadences this round read."""
        self._polls += 1
        for c in rare:
            self._rare_ran[c] = self._slow_rounds
        self._slow_rounds += slow
        if slow or self._since_slow is None:
            self._since_slow = 0
        else:
            self._since_slow += 1

    def _link_failed(self, exc: PollError, ts: float, started: float) -> PollOutcome:
        now = self._clock.monotonic()
        if not self.link.connected or isinstance(exc, PollTimeout):
            # the connection is gone (or never came): back off before the next connect;
            # a target that timed out is hung or overloaded, and a new session every tick
            # only adds to its load
            self._failures += 1
            self._retry_at = now + backoff_s(self._failures, self._rng)
            self._last_error = exc
        return self._failed(ts, now - started, exc.state, exc.reason)

    def _process(
        self, raw: RawPoll, nonce: str, ts: float, started: float, slow: bool, due: tuple[int, ...]
    ) -> PollOutcome:
        """Output to readings and points; the poll's duration includes this work."""
        try:
            measured, readings, failures, capped, user = self._readings(
                raw.output, nonce, slow, due
            )
            # derive sees only what this poll measured: a df reading becomes points once,
            # stamped with the poll that ran df, not again at every fast poll after it
            current = Snapshot(ts=ts, readings=measured)
            broken: dict[str, str] = {}
            points = derive(self.host.name, self._previous, current, self._collectors, broken)
            if user.triples:
                name = self.host.name
                points += [Point(m, name, dev, ts, v) for m, dev, v in user.triples]
            info = host_info(self.host.name, ts, readings) if slow else None
        except ProbeFailed as exc:
            return self._failed(ts, self._since(started), exc.state, exc.reason)
        except Exception as exc:
            # a bug in a parser or in derive must cost this poll, not the host's task
            log.exception("processing a poll of %s failed", self.host.name)
            reason = f"internal error: {exc!r}"
            return self._failed(ts, self._since(started), HostState.PROBE_FAILED, reason)
        duration = self._since(started)
        self._previous = self._carry(Snapshot(ts, for_rates(measured)))
        skipped = self._slow_sections - self._reading_slow if slow else frozenset()
        collectors = statuses(self._status_plans, slow, measured, failures, broken, skipped)
        collectors.update(user.statuses)
        status = PollStatus(
            self.host.name,
            ts,
            HostState.OK,
            _status_words(failures, capped.reasons),
            duration,
            tuple(sorted(failures)),
        )
        connect_s = raw.connect_s if raw.reconnected else None
        return PollOutcome(
            status,
            points,
            info,
            readings,
            failures,
            None,
            connect_s,
            dropped=capped.dropped,
            collectors=collectors,
        )

    def _carry(self, current: Snapshot) -> Snapshot:
        """The snapshot the next poll's rates start from: this poll's readings plus the
        last reading of each carried slow section (`Source.carried`), so that the next slow
        round has the previous round's to compare with, not nothing."""
        # a lookup per carried section (cgroups), not a walk over every slow reading of the
        # host at every poll; the snapshot is only looked up by section, so order is moot
        slow = self._slow
        kept = {k: slow[k] for k in self._carried if k in slow}
        if not kept:
            return current
        return Snapshot(current.ts, {**kept, **current.readings})

    def _readings(
        self, output: bytes, nonce: str, slow: bool, due: tuple[int, ...]
    ) -> tuple[dict[str, object], dict[str, object], dict[str, str], Capped, CustomResult]:
        """(what this poll measured plus the held slow readings, that plus all the last slow
        readings, failures, drops, user metrics). The second is for /metrics and `probe`,
        which show a host's latest readings."""
        # target output is untrusted: undecodable bytes become U+FFFD, never an exception
        text = output.decode("utf-8", errors="replace")
        frames = split(
            text,
            nonce,
            self._fast_paths,
            self._plan.textfile_dir,
            globs=self._fast_globs,
            reads=self._plan.reads,
        )
        if not frames.sections:
            raise ProbeFailed(
                f"no framed probe sections in {len(output)} bytes of output (not a POSIX sh?)"
            )
        parsed = parse_all(frames.sections)
        fresh, failures = dict(parsed.readings), dict(parsed.failures)
        if slow:  # slow commands run only in a slow round: nothing to check on the others
            budget = probe.command_timeout_s(self.host.timeout)
            for name in self._plan.slow_commands:
                section = frames.sections.get(name)
                if section is not None and section.rc in probe.TIMED_OUT_RCS:
                    # `timeout` stopped it: a failure with its reason, not "unavailable"
                    failures[name] = probe.timed_out_reason(name, budget)
                    fresh.pop(name, None)
        # capped as read, before the slow ones are kept: a drop is counted once per read
        capped = cap_devices(fresh, self.host.max_devices)
        if slow:
            # a slow section this round did not read (a rarer one not due) keeps its last
            # reading: host info, /metrics, `held` and `carried` go on seeing it
            kept = {k: v for k, v in self._slow.items() if k not in self._reading_slow}
            fresh_slow = {k: v for k, v in capped.readings.items() if k in self._slow_sections}
            self._slow = {**kept, **fresh_slow}
        readings = {**self._slow, **capped.readings}
        measured = dict(capped.readings)
        if self._held_sections:
            measured.update(
                (k, v)
                for k, v in self._slow.items()
                if k in self._held_sections and k not in measured
            )
        user = CustomResult()
        if self._plan.textfile_dir is not None or due:
            commands = [self._plan.commands[i] for i in due]
            user = custom.collect(
                frames.sections, self._plan.textfile_dir, commands, self.host.max_custom_series
            )
            self._user.update(user.readings)
        if self._user:
            readings.update(self._user)  # a command between its runs keeps its last samples
        return measured, readings, failures, capped, user

    def _since(self, started: float) -> float:
        return self._clock.monotonic() - started

    def _failed(self, ts: float, duration: float, state: HostState, reason: str) -> PollOutcome:
        return PollOutcome(PollStatus(self.host.name, ts, state, reason, duration))

    async def close(self) -> None:
        await self.link.close()


def _status_words(failures: Mapping[str, str], capped: Mapping[str, str]) -> str:
    words = []
    if failures:
        words.append(
            "sections skipped: " + "; ".join(f"{k}: {v}" for k, v in sorted(failures.items()))
        )
    if capped:
        words.append("devices capped: " + "; ".join(f"{k}: {v}" for k, v in sorted(capped.items())))
    return "; ".join(words)


def _with_raw(outcome: PollOutcome, raw: RawPoll) -> PollOutcome:
    return PollOutcome(
        outcome.status,
        outcome.points,
        outcome.host_info,
        outcome.readings,
        outcome.failures,
        raw.output,
        outcome.connect_s,
        outcome.schedule_lag_s,
        outcome.dropped,
        outcome.collectors,
    )
