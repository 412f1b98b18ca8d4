"""The alert state machine: pure, time injected, one status per (rule, host, device).

inactive → pending (condition true, `for:` not yet elapsed) → firing → resolved, after the
Prometheus rule evaluator, plus what its users keep asking for:
- severity moves warning ↔ critical while firing, and that is a change worth telling;
- hysteresis in `level()` (a value must fall back past threshold - hysteresis to clear) and a
  resolve delay (`resolve_after`, Prometheus' keep_firing_for) so a hovering value does not flap;
- flap detection (Netdata/Nagios style): too many fire/resolve changes inside a window hold
  the alert as firing, say so once, and release it after a quiet window;
- reminders every `repeat` while firing and not acknowledged.

Nothing here reads a clock, logs or decides about notifications; see `decide.py`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum


class AlertState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


class Severity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


RANK: dict[Severity | None, int] = {None: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class Change(StrEnum):
    """What one evaluation did; every change is stored, `decide()` says which are sent."""

    PENDING = "pending"
    CANCELLED = "cancelled"  # pending that cleared before `for:` elapsed
    FIRING = "firing"
    ESCALATED = "escalated"
    DEESCALATED = "deescalated"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    FLAPPING = "flapping"
    SETTLED = "settled"  # stopped flapping while the condition is still true


class Op(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


@dataclass(frozen=True, slots=True)
class Thresholds:
    op: Op
    warning: float | None
    critical: float | None
    hysteresis: float = 0.0

    def of(self, severity: Severity | None) -> float | None:
        if severity is Severity.CRITICAL:
            return self.critical
        return self.warning


@dataclass(frozen=True, slots=True)
class Params:
    """The timing part of a rule, as the machine needs it (seconds; 0 switches a feature off)."""

    for_s: float = 0.0
    resolve_after_s: float = 0.0
    repeat_s: float = 0.0
    flap_window_s: float = 0.0
    flap_changes: int = 0


@dataclass(frozen=True, slots=True)
class Observation:
    level: Severity | None  # None: condition false (hysteresis already applied by level())
    value: float


@dataclass(frozen=True, slots=True)
class Status:
    state: AlertState = AlertState.INACTIVE
    severity: Severity | None = None
    since: float = 0.0  # start of this episode (first pending, or firing when for: is 0)
    fired_at: float = 0.0
    ended_at: float = 0.0  # when it resolved
    value: float = math.nan
    last_true: float = 0.0  # last time the condition held, for resolve_after
    seen: float = 0.0  # last observation, so a vanished series can be resolved
    # when a notification of this episode was last owed to receivers (queued in the outbox,
    # which delivers it even across restarts); drives reminders and whether a resolve is news
    notified_at: float | None = None
    delivered_at: float | None = None  # when a route last accepted a message about it
    acked: bool = False
    flips: tuple[float, ...] = ()  # fire/resolve times inside the flap window
    flapping: bool = False
    cond: bool = False  # the raw condition at the last observation (for flap tracking)

    @property
    def active(self) -> bool:
        return self.state in (AlertState.PENDING, AlertState.FIRING)


INACTIVE = Status()


def _beyond(value: float, limit: float, op: Op) -> bool:
    if op is Op.GT:
        return value > limit
    if op is Op.GE:
        return value >= limit
    if op is Op.LT:
        return value < limit
    return value <= limit


def level(value: float, th: Thresholds, current: Severity | None) -> Severity | None:
    """The severity a value deserves; an alert already at a severity keeps it until the value
    is back past the threshold by `hysteresis` (so 80/79.9/80.1 does not fire and clear)."""
    if math.isnan(value):
        return None
    slack = th.hysteresis if th.op in (Op.GT, Op.GE) else -th.hysteresis
    for sev in (Severity.CRITICAL, Severity.WARNING):
        limit = th.of(sev)
        if limit is None:
            continue
        if _beyond(value, limit, th.op):
            return sev
        if slack and RANK[current] >= RANK[sev] and _beyond(value, limit - slack, th.op):
            return sev
    return None


def evaluate(prev: Status, obs: Observation, now: float, p: Params) -> tuple[Status, Change | None]:
    """Next status of one alert given a fresh observation at `now`."""
    if prev.flapping:
        return _while_flapping(prev, obs, now, p)
    true = obs.level is not None
    if prev.state in (AlertState.INACTIVE, AlertState.RESOLVED):
        if not true:
            return prev, None
        if p.for_s <= 0:
            return _fire(prev, obs, now, since=now, p=p)
        pending = Status(
            state=AlertState.PENDING,
            severity=obs.level,
            since=now,
            value=obs.value,
            last_true=now,
            seen=now,
            flips=prev.flips,
            cond=True,
        )
        return pending, Change.PENDING
    if prev.state is AlertState.PENDING:
        if not true:
            # the value that cleared it, so the record says what happened rather than "n/a"
            return replace(INACTIVE, flips=prev.flips, value=obs.value), Change.CANCELLED
        if now - prev.since >= p.for_s:
            return _fire(prev, obs, now, since=prev.since, p=p)
        return replace(prev, severity=obs.level, value=obs.value, last_true=now, seen=now), None
    return _while_firing(prev, obs, now, p)


def _while_firing(
    prev: Status, obs: Observation, now: float, p: Params
) -> tuple[Status, Change | None]:
    if obs.level is None:
        if now - prev.last_true < p.resolve_after_s:
            return replace(prev, value=obs.value, seen=now, cond=False), None
        return _resolve(prev, obs.value, now, p)
    if obs.level is not prev.severity:
        up = RANK[obs.level] > RANK[prev.severity]
        nxt = replace(
            prev,
            severity=obs.level,
            value=obs.value,
            last_true=now,
            seen=now,
            cond=True,
            # a worse severity is news: an acknowledgement of the warning does not cover it
            acked=prev.acked and not up,
        )
        return nxt, Change.ESCALATED if up else Change.DEESCALATED
    return replace(prev, value=obs.value, last_true=now, seen=now, cond=True), None


def _recent(flips: tuple[float, ...], now: float, p: Params) -> tuple[float, ...]:
    if not p.flap_changes:
        return ()
    return (*(t for t in flips if now - t < p.flap_window_s), now)


def _fire(
    prev: Status, obs: Observation, now: float, since: float, p: Params
) -> tuple[Status, Change]:
    flips = _recent(prev.flips, now, p)
    nxt = Status(
        state=AlertState.FIRING,
        severity=obs.level,
        since=since,
        fired_at=now,
        value=obs.value,
        last_true=now,
        seen=now,
        flips=flips,
        cond=True,
    )
    if p.flap_changes and len(flips) >= p.flap_changes:
        return replace(nxt, flapping=True), Change.FLAPPING
    return nxt, Change.FIRING


def _resolve(prev: Status, value: float, now: float, p: Params) -> tuple[Status, Change]:
    flips = _recent(prev.flips, now, p)
    if p.flap_changes and len(flips) >= p.flap_changes:
        # hold it firing: one "flapping" message instead of a fire/resolve pair every minute
        held = replace(prev, value=value, seen=now, flips=flips, flapping=True, cond=False)
        return held, Change.FLAPPING
    nxt = replace(
        prev,
        state=AlertState.RESOLVED,
        value=value,
        seen=now,
        ended_at=now,
        flips=flips,
        acked=False,
        cond=False,
    )
    return nxt, Change.RESOLVED


def _while_flapping(
    prev: Status, obs: Observation, now: float, p: Params
) -> tuple[Status, Change | None]:
    true = obs.level is not None
    flips = prev.flips
    if true != prev.cond:
        flips = (*flips, now)
    quiet = not flips or now - flips[-1] >= p.flap_window_s
    if not quiet:
        severity = obs.level if true else prev.severity
        return replace(
            prev,
            severity=severity,
            value=obs.value,
            seen=now,
            flips=flips,
            cond=true,
            last_true=now if true else prev.last_true,
        ), None
    if true:
        settled = replace(
            prev,
            severity=obs.level,
            value=obs.value,
            seen=now,
            last_true=now,
            flips=(),
            flapping=False,
            cond=True,
        )
        return settled, Change.SETTLED
    resolved = replace(
        prev,
        state=AlertState.RESOLVED,
        value=obs.value,
        seen=now,
        ended_at=now,
        flips=(),
        flapping=False,
        acked=False,
        cond=False,
    )
    return resolved, Change.RESOLVED


def remind(prev: Status, now: float, p: Params) -> tuple[Status, Change | None]:
    """A reminder is due when the alert has been firing, told and unacknowledged for `repeat`."""
    if (
        prev.state is not AlertState.FIRING
        or prev.acked
        or p.repeat_s <= 0
        or prev.notified_at is None
        or now - prev.notified_at < p.repeat_s
    ):
        return prev, None
    return replace(prev, notified_at=now), Change.REMINDER


def vanish(prev: Status, now: float) -> tuple[Status, Change | None]:
    """The series stopped arriving while its host is fine (a mount went away): let it go."""
    if prev.state is AlertState.PENDING:
        return INACTIVE, Change.CANCELLED
    if prev.state is AlertState.FIRING:
        return replace(
            prev, state=AlertState.RESOLVED, ended_at=now, flapping=False, acked=False, cond=False
        ), Change.RESOLVED
    return prev, None
