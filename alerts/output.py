"""Where changes go: the log, the store's alert history, and (grouped per host) the notifier."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import Protocol

import jinja2

from alerts.config import AlertsConfig
from alerts.decide import Decision
from alerts.messages import (
    Message,
    Transition,
    clock,
    compose,
    format_duration,
    format_value,
    host_link,
)
from alerts.rules import Compiled, route_matches
from alerts.state import Change, Status
from poller.inventory import Host
from store.records import AlertEvent

log = logging.getLogger("alerts.engine")


class Submitter(Protocol):
    def submit(self, message: Message) -> str | None: ...


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
        threshold = c.thresholds.of(st.severity) if c.rule.metric else float(c.rule.failures)
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
            "link": host_link(self.config.link_base, c.host.name),
        }
        try:
            return c.template.render(context)
        except jinja2.TemplateError as exc:
            # a broken template must not eat the alert: say what fired and why the text is off
            log.warning("rule %s: message template failed: %s", c.name, exc)
            return f"{c.name}{' on ' + dev if dev else ''}: {context['value']} (template error)"

    def emit(self, host: str, items: list[Transition]) -> None:
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
        if sendable and self.notifier is not None:
            for message in self.messages(host, sendable):
                self.notifier.submit(message)

    def messages(self, host: str, items: list[Transition]) -> list[Message]:
        """One message per route for a host's changes that happened together."""
        known = self.hosts.get(host) or Host(name=host, address=host)
        link = host_link(self.config.link_base, host)
        out = []
        for route in self.config.routes:
            mine = [t for t in items if route_matches(route, t.severity, known, t.labels)]
            if mine:
                out.append(compose(route.name, host, mine, link))
        if not out:
            log.warning("alert changes for %s match no route; nothing sent", host)
        return out


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
