"""Plain functions behind the alerts API and CLI: what is firing, history, silences,
maintenance, acknowledgements, test notifications. No HTTP here; routers call these."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.deliveries import DeliveryLog
from alerts.engine import AlertEngine
from alerts.errors import InvalidRequestError, NotFoundError, UnknownRouteError
from alerts.messages import Message, clock, format_value
from alerts.mutes import MuteStore
from alerts.notify import Attempt, Notifier
from alerts.persist import Key, StateStore
from alerts.rules import inhibitors
from alerts.silences import Ack, Maintenance, Matcher, Schedule, Silence, Target
from alerts.state import AlertState, Severity, Status
from poller.catalog import METRICS
from poller.inventory import Host
from store.records import AlertEvent


@dataclass(frozen=True)
class AlertView:
    """One pending or firing alert as the alerts page shows it."""

    rule: str
    host: str
    dev: str
    state: str
    severity: str | None
    since: float
    fired_at: float | None
    value: float | None
    value_text: str
    acked: bool
    flapping: bool
    notified_at: float | None
    # why receivers are not told now: silenced, suppressed (host down) or inhibited, with
    # the words saying by what; None when nothing keeps it quiet (acked is apart, above)
    quiet: str | None = None
    quiet_reason: str = ""


def _unit(config: AlertsConfig, rule: str) -> str:
    for r in config.rules:
        if r.name == rule:
            if r.reduce == "hours_to_zero":
                return "hours"
            spec = METRICS.get(r.metric or "")
            return spec.unit if spec else ""
    return ""


def _views(config: AlertsConfig, items: Iterable[tuple[Key, Status]]) -> list[AlertView]:
    return [
        AlertView(
            rule=k[0],
            host=k[1],
            dev=k[2],
            state=s.state.value,
            severity=s.severity.value if s.severity else None,
            since=s.since,
            fired_at=s.fired_at if s.state is AlertState.FIRING else None,
            value=s.value if math.isfinite(s.value) else None,
            value_text=format_value(s.value, _unit(config, k[0])),
            acked=s.acked,
            flapping=s.flapping,
            # what receivers really got: set when a route accepted it, not when queued
            notified_at=s.delivered_at,
        )
        for k, s in items
    ]


def active_alerts(
    engine: AlertEngine, host: str | None = None, now: float | None = None
) -> list[AlertView]:
    """Pending and firing now, from the running engine (most severe, then oldest, first),
    each saying what keeps it quiet, if anything."""
    items = [(k, s) for k, s in engine.alerts() if host is None or k[1] == host]
    at = time.time() if now is None else now
    views = _views(engine.config, items)
    out = []
    for (key, _), view in zip(items, views, strict=True):
        why = engine.quiet(key, at)
        out.append(replace(view, quiet=why[0], quiet_reason=why[1]) if why else view)
    return out


def host_marks(engine: AlertEngine, hosts: Iterable[Any], now: float) -> dict[str, set[str]]:
    """host -> {"silenced", "acknowledged"}: what the overview marks beside a host's alert
    count. Silenced: a firing or pending alert a silence or maintenance window matches now;
    acknowledged: a firing alert someone acknowledged."""
    by_name = {h.name: h for h in hosts}
    rule_labels = {r.name: dict(r.labels) for r in engine.config.rules}
    out: dict[str, set[str]] = {}
    for (rule, host_name, _), st in engine.alerts():
        host = by_name.get(host_name)
        if host is None:
            continue
        if st.acked:
            out.setdefault(host_name, set()).add("acknowledged")
        if engine.mutes is not None:
            labels = {**dict(host.labels), **rule_labels.get(rule, {})}
            target = Target(host.name, tuple(host.groups), rule, labels)
            if engine.mutes.muted_by(target, now):
                out.setdefault(host_name, set()).add("silenced")
    return out


def stored_alerts(config: AlertsConfig, db: AlertsDB) -> list[AlertView]:
    """The same from the database, for a process without the engine (the CLI)."""
    items = [(k, s) for k, s in StateStore(db).load().items() if s.active]
    items.sort(
        key=lambda ks: (
            ks[1].state is not AlertState.FIRING,
            ks[1].severity is not Severity.CRITICAL,
            ks[1].since,
        )
    )
    return _views(config, items)


def stored_quiet(
    config: AlertsConfig, db: AlertsDB, views: list[AlertView], hosts: Iterable[Host], now: float
) -> list[AlertView]:
    """What the engine's `quiet` says, worked out from the database (for `alerts list`):
    a metric alert on a host whose `poll: down` rule fires is suppressed; one whose
    inhibiting rule fires on its host is inhibited; one a silence or maintenance window
    covers is silenced."""
    known = {h.name: h for h in hosts}
    held_by = inhibitors(config)
    fires = {(v.rule, v.host) for v in views if v.state == "firing"}
    rules = {r.name: r for r in config.rules}
    down_rules = {r.name for r in config.rules if r.poll == "down"}
    down = {v.host for v in views if v.rule in down_rules and v.state == "firing"}
    mutes = MuteStore(db)
    mutes.reload(now)
    out = []
    for v in views:
        rule = rules.get(v.rule)
        host = known.get(v.host)
        by = next((a for a in held_by.get(v.rule, ()) if (a, v.host) in fires), None)
        if rule is not None and rule.on_points and v.host in down:
            v = replace(v, quiet="suppressed", quiet_reason="host down")
        elif by is not None:
            v = replace(v, quiet="inhibited", quiet_reason=f"inhibited by {by}")
        elif host is not None:
            labels = {**dict(host.labels), **(rule.labels if rule else {})}
            muted = mutes.muted_by(Target(v.host, host.groups, v.rule, labels), now)
            if muted:
                v = replace(v, quiet="silenced", quiet_reason=muted)
        out.append(v)
    return out


def counts(engine: AlertEngine) -> dict[str, int]:
    """Firing and pending totals for the overview."""
    out = {"firing": 0, "critical": 0, "warning": 0, "pending": 0}
    for _, s in engine.alerts():
        if s.state is AlertState.PENDING:
            out["pending"] += 1
        else:
            out["firing"] += 1
            out[s.severity.value if s.severity else "warning"] += 1
    return out


def history(
    client: Any,
    host: str | None = None,
    rule: str | None = None,
    start: float = 0.0,
    end: float | None = None,
    limit: int = 1000,
) -> list[AlertEvent]:
    """Stored transitions, newest first (through store.queries; `dev`, `change` and the notify
    reason are in each event's labels)."""
    from store import queries

    return queries.alert_events(client, host=host, rule=rule, start=start, end=end, limit=limit)


def deliveries(db: AlertsDB, limit: int = 100, host: str | None = None) -> list[dict[str, Any]]:
    return DeliveryLog(db).recent(limit=limit, host=host)


# silences, maintenance, acknowledgements ----------------------------------------------------


def list_silences(mutes: MuteStore, now: float, include_expired: bool = False) -> list[Silence]:
    return mutes.silences(now, include_expired=include_expired)


def create_silence(
    mutes: MuteStore,
    matcher: Matcher,
    ends_at: float,
    now: float,
    *,
    starts_at: float | None = None,
    comment: str = "",
    author: str = "",
) -> Silence:
    return mutes.add_silence(
        matcher, ends_at, now, starts_at=starts_at, comment=comment, author=author
    )


def expire_silence(mutes: MuteStore, silence_id: int, now: float, *, author: str = "") -> None:
    mutes.expire_silence(silence_id, now, author=author)


def update_silence(
    mutes: MuteStore,
    silence_id: int,
    now: float,
    *,
    matcher: Matcher | None = None,
    ends_at: float | None = None,
    comment: str | None = None,
    author: str = "",
) -> Silence:
    """Change an active silence's matcher, end or comment (None keeps it); the engine sees the
    change at once through the store's in-memory set."""
    if matcher is None and ends_at is None and comment is None:
        raise InvalidRequestError("nothing to change: give a matcher, an end or a comment")
    return mutes.update_silence(
        silence_id, now, matcher=matcher, ends_at=ends_at, comment=comment, author=author
    )


def list_maintenance(
    mutes: MuteStore, now: float, include_expired: bool = False
) -> list[Maintenance]:
    return mutes.maintenance(now, include_expired=include_expired)


def create_maintenance(
    mutes: MuteStore,
    name: str,
    matcher: Matcher,
    schedule: Schedule,
    now: float,
    *,
    comment: str = "",
    author: str = "",
) -> Maintenance:
    return mutes.add_maintenance(name, matcher, schedule, now, comment=comment, author=author)


def expire_maintenance(
    mutes: MuteStore, window_id: int, now: float, *, author: str = ""
) -> None:
    mutes.expire_maintenance(window_id, now, author=author)


def update_maintenance(
    mutes: MuteStore,
    window_id: int,
    now: float,
    *,
    name: str | None = None,
    matcher: Matcher | None = None,
    schedule: Schedule | None = None,
    comment: str | None = None,
    author: str = "",
) -> Maintenance:
    """Change a window's name, matcher, schedule or comment (None keeps it)."""
    if name is None and matcher is None and schedule is None and comment is None:
        raise InvalidRequestError(
            "nothing to change: give a name, a matcher, a schedule or a comment"
        )
    if name is not None and not name.strip():
        raise InvalidRequestError("a maintenance window needs a name")
    return mutes.update_maintenance(
        window_id,
        now,
        name=name,
        matcher=matcher,
        schedule=schedule,
        comment=comment,
        author=author,
    )


def acknowledge(
    target: AlertEngine | tuple[AlertsDB, MuteStore],
    rule: str,
    host: str,
    dev: str,
    now: float,
    *,
    author: str = "",
    comment: str = "",
) -> Ack | Status:
    """In-process (the engine applies it at once) or from another process (the engine picks
    the row up on its next reload); either way only a firing alert can be acknowledged."""
    if isinstance(target, AlertEngine):
        return target.acknowledge(rule, host, dev, now, author=author, comment=comment)
    db, mutes = target
    st = StateStore(db).load().get((rule, host, dev))
    if st is None or st.state is not AlertState.FIRING:
        raise NotFoundError(f"no firing alert {rule} on {host}{' ' + dev if dev else ''}")
    return mutes.add_ack(rule, host, dev, now, author=author, comment=comment)


# test notifications ----------------------------------------------------------------------


def make_test_message(route: str, now: float) -> Message:
    return Message(
        route=route,
        host="sshmon",
        title="sshmon test notification",
        body=f"Test notification from sshmon through route {route!r} at {clock(now)}. "
        "If you can read this, alerts will reach you here.",
        notify_type="info",
    )


async def send_test(notifier: Notifier, route: str | None, now: float) -> dict[str, list[Attempt]]:
    """Send a test message now to one route (or every route) and report each attempt."""
    names = notifier.routes if route is None else [route]
    if route is not None and route not in notifier.routes:
        raise UnknownRouteError(f"no route named {route!r} (have: {', '.join(notifier.routes)})")
    results = await asyncio.gather(*(notifier.deliver(make_test_message(n, now)) for n in names))
    return dict(zip(names, results, strict=True))
