"""Plain functions behind the alerts API and CLI: what is firing, history, silences,
maintenance, acknowledgements, test notifications. No HTTP here; routers call these."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass
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
from alerts.silences import Ack, Maintenance, Matcher, Schedule, Silence
from alerts.state import AlertState, Severity, Status
from poller.catalog import METRICS
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


def active_alerts(engine: AlertEngine, host: str | None = None) -> list[AlertView]:
    """Pending and firing now, from the running engine (most severe, then oldest, first)."""
    items = [(k, s) for k, s in engine.alerts() if host is None or k[1] == host]
    return _views(engine.config, items)


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
