"""Where changes go: the log, the store's alert history, and a notice per route that must hear
of it (the outbox groups and sends them, see alerts/dispatch.py)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Protocol

import jinja2

from alerts.config import AlertsConfig
from alerts.decide import Decision
from alerts.messages import (
    Notice,
    Transition,
    clock,
    format_duration,
    format_value,
    group_key,
    host_link,
)
from alerts.rules import Compiled, route_matches
from alerts.state import Change, Status
from poller.inventory import Host
from store.records import AlertEvent

log = logging.getLogger("alerts.engine")


DEFAULT_LINK_BASE = "http://127.0.0.1:8080"  # only when nothing better is known (tests)


class Submitter(Protocol):
    def submit(self, notice: Notice) -> object: ...


class Output:
    def __init__(
        self,
        config: AlertsConfig,
        hosts: Mapping[str, Host],
        store_events: Callable[[AlertEvent], None] | None,
        notifier: Submitter | None,
    ) -> None:
        self.config = config
        self.hosts = hosts
        self.store_events = store_events
        self.notifier = notifier

    def transition(
        self,
        c: Compiled,
        dev: str,
        st: Status,
        change: Change,
        decision: Decision,
        now: float,
        poll_reason: str,
        note: str | None,
    ) -> Transition:
        threshold = c.thresholds.of(st.severity) if c.rule.on_points else float(c.rule.failures)
        if change is Change.RESOLVED and c.rule.message is None:
            text = resolved_text(c, dev, st, threshold, now, note)
        elif change is Change.CANCELLED and c.rule.message is None:
            text = cancelled_text(c, dev, st, threshold, note)
        else:
            text = self._render(c, dev, st, threshold, now, poll_reason)
        since = st.since if st.since else now
        reason = decision.reason if note is None else f"{decision.reason} ({note})"
        return Transition(
            ts=now,
            rule=c.name,
            host=c.host.name,
            dev=dev,
            change=change,
            state=st.state,
            severity=st.severity,
            value=st.value,
            threshold=threshold,
            since=since,
            text=text,
            labels=c.labels,
            send=decision.send,
            reason=reason,
        )

    def _render(
        self,
        c: Compiled,
        dev: str,
        st: Status,
        threshold: float | None,
        now: float,
        poll_reason: str,
    ) -> str:
        context = {
            "rule": c.name,
            "host": c.host.name,
            "dev": dev,
            "description": c.rule.description,
            "severity": st.severity.value if st.severity else "",
            "state": st.state.value,
            "value": format_value(st.value, c.unit),
            "raw_value": st.value,
            "threshold": format_value(threshold, c.unit),
            "op": c.thresholds.op.value,
            "since": clock(st.since or now),
            "duration": format_duration(now - (st.since or now)),
            "labels": {**dict(c.host.labels), **c.labels},
            "reason": poll_reason,
            "link": host_link(self.link_base, c.host.name),
        }
        try:
            return c.template.render(context)
        except jinja2.TemplateError as exc:
            # a broken template must not eat the alert: say what fired and why the text is off
            log.warning("rule %s: message template failed: %s", c.name, exc)
            return f"{c.name}{' on ' + dev if dev else ''}: {context['value']} (template error)"

    @property
    def link_base(self) -> str:
        return self.config.link_base or DEFAULT_LINK_BASE

    def emit(self, host: str, items: list[Transition]) -> list[Notice]:
        """Log and store every change; returns the notices owed to routes (the caller
        persists them with the state, or hands them to `notifier` when there is no database)."""
        for t in items:
            log.info(
                "alert %s host=%s dev=%s change=%s severity=%s send=%s reason=%s",
                t.rule,
                t.host,
                t.dev or "-",
                t.change.value,
                t.severity.value if t.severity else "-",
                t.send,
                t.reason,
            )
            if self.store_events is not None:
                self.store_events(to_event(t))
        sendable = [t for t in items if t.send]
        return self.notices(host, sendable) if sendable else []

    def notices(self, host: str, items: list[Transition]) -> list[Notice]:
        """A notice per route for each change that route receives."""
        known = self.hosts.get(host) or Host(name=host, address=host)
        link = host_link(self.link_base, host)
        out = [
            Notice(
                route=route.name,
                group=group_key(route.group_by, t.rule, t.host),
                rule=t.rule,
                host=t.host,
                dev=t.dev,
                change=t.change,
                severity=t.severity,
                ts=t.ts,
                since=t.since,
                text=t.text,
                link=link,
            )
            for t in items
            for route in self.config.routes
            if route_matches(route, t.severity, known, t.labels)
        ]
        if not out:
            log.warning("alert changes for %s match no route; nothing sent", host)
        return out


# what a resolve means per poll condition: the message says what happened, not the rule's
# description ("Polls failed several times in a row" read as if the host still failed)
_BACK = {
    "down": "polls succeed again",
    "stale": "poll results arrive again",
    "auth_failed": "the host accepts our credentials again",
    "host_key_changed": "the host key is trusted again",
    "host_key_unknown": "the host key is trusted",
}


def resolved_text(
    c: Compiled, dev: str, st: Status, threshold: float | None, now: float, note: str | None
) -> str:
    """E.g. "host_down resolved: polls succeed again after 4m" (messages and history name
    the host already)."""
    where = f" on {dev}" if dev else ""
    if note is not None:
        what = note
    elif c.rule.poll is not None:
        what = _BACK.get(c.rule.poll, "the condition cleared")
    else:
        value = format_value(st.value, c.unit)
        what = f"{value} (threshold {c.thresholds.op.value} {format_value(threshold, c.unit)})"
    lasted = format_duration(now - (st.since or st.fired_at or now))
    return f"{c.name}{where} resolved: {what} after {lasted}"


def cancelled_text(
    c: Compiled, dev: str, st: Status, threshold: float | None, note: str | None
) -> str:
    """E.g. "cpu_busy cleared before `for:` elapsed: 42.0% (threshold > 90.0%)"."""
    where = f" on {dev}" if dev else ""
    if note is not None:
        return f"{c.name}{where} cleared before `for:` elapsed: {note}"
    if c.rule.poll is not None:
        return f"{c.name}{where} cleared before `for:` elapsed: {_BACK.get(c.rule.poll, 'ok')}"
    value = format_value(st.value, c.unit)
    limit = f"{c.thresholds.op.value} {format_value(threshold, c.unit)}"
    return f"{c.name}{where} cleared before `for:` elapsed: {value} (threshold {limit})"


def to_event(t: Transition) -> AlertEvent:
    """The store's history row: dev, the kind of change and the notify reason ride in labels."""
    labels = {**t.labels, "dev": t.dev, "change": t.change.value, "notify": t.reason}
    return AlertEvent(
        ts=t.ts,
        host=t.host,
        rule=t.rule,
        severity=t.severity.value if t.severity else "",
        state=t.state.value,
        value=t.value if math.isfinite(t.value) else None,
        threshold=t.threshold,
        message=t.text,
        labels=labels,
    )
