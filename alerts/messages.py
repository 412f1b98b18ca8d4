"""What an alert change says, and how a host's simultaneous changes become one message.

Short on purpose (what, where, how bad, since when, the host page): people read these on a
phone. Everything a target sent (device names) goes through the sandboxed rule template.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from alerts.state import AlertState, Change, Severity

_UNIT_SUFFIX = {
    "percent": "%",
    "per_second": "/s",
    "bytes_per_second": "B/s",
    "hours": " h",
    "seconds": " s",
    "ratio": "",
    "load": "",
    "count": "",
}
_BYTES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_HEADLINE = {
    Change.FIRING: "FIRING",
    Change.ESCALATED: "WORSE",
    Change.DEESCALATED: "BETTER",
    Change.RESOLVED: "RESOLVED",
    Change.REMINDER: "STILL FIRING",
    Change.FLAPPING: "FLAPPING",
    Change.SETTLED: "FIRING",
    Change.PENDING: "PENDING",
    Change.CANCELLED: "CLEARED",
}


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of one alert: stored as an alert event, maybe sent (see `send`/`reason`)."""

    ts: float
    rule: str
    host: str
    dev: str
    change: Change
    state: AlertState
    severity: Severity | None
    value: float
    threshold: float | None
    since: float
    text: str
    labels: dict[str, str] = field(default_factory=dict)
    send: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    route: str
    host: str
    title: str
    body: str
    notify_type: str  # Apprise's: info, success, warning, failure


def format_value(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "never" if unit == "hours" else str(value)
    if unit == "bytes":
        size, i = abs(value), 0
        while size >= 1024 and i < len(_BYTES) - 1:
            size, i = size / 1024, i + 1
        return f"{'-' if value < 0 else ''}{size:.3g} {_BYTES[i]}"
    number = f"{value:.1f}" if unit in ("percent", "hours") else f"{value:.3g}"
    return f"{number}{_UNIT_SUFFIX.get(unit, ' ' + unit if unit else '')}"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m")] if seconds >= 60 else [(secs, "s")]
    return " ".join(f"{n}{u}" for n, u in parts if n) or "0s"


def clock(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def host_link(base: str, host: str) -> str:
    return f"{base.rstrip('/')}/hosts/{quote(host, safe='')}"


def line(t: Transition) -> str:
    head = _HEADLINE[t.change]
    if t.change is Change.RESOLVED:
        return f"{head}: {t.text}, lasted {format_duration(t.ts - t.since)}"
    sev = f" {t.severity.value}" if t.severity else ""
    return f"{head}{sev}: {t.text} (since {clock(t.since)}, {format_duration(t.ts - t.since)})"


def _notify_type(items: Sequence[Transition]) -> str:
    if all(t.change is Change.RESOLVED for t in items):
        return "success"
    if any(t.severity is Severity.CRITICAL and t.change is not Change.RESOLVED for t in items):
        return "failure"
    return "warning"


def compose(route: str, host: str, items: Sequence[Transition], link: str) -> Message:
    """One message for one host's changes that happened together."""
    if len(items) == 1:
        title = f"[{_HEADLINE[items[0].change]}] {host}: {items[0].text}"
    else:
        counts: dict[str, int] = {}
        for t in items:
            counts[_HEADLINE[t.change]] = counts.get(_HEADLINE[t.change], 0) + 1
        title = f"{host}: " + ", ".join(f"{n} {head.lower()}" for head, n in counts.items())
    body = "\n".join([*(line(t) for t in items), f"Host: {link}"])
    return Message(route=route, host=host, title=title, body=body, notify_type=_notify_type(items))


@dataclass(frozen=True, slots=True)
class Notice:
    """One change that a route must hear about: a row of the outbox until a message carrying
    it has been accepted. Messages are composed from notices only when a group goes out."""

    route: str
    group: str  # the route's group key, e.g. "rule=host_down"
    rule: str
    host: str
    dev: str
    change: Change
    severity: Severity | None
    ts: float
    since: float
    text: str
    link: str

    @property
    def head(self) -> str:
        return _HEADLINE[self.change]


def group_key(group_by: Sequence[str], rule: str, host: str) -> str:
    values = {"rule": rule, "host": host}
    return ",".join(f"{k}={values[str(k)]}" for k in group_by) or "all"


def notice_line(n: Notice) -> str:
    if n.change is Change.RESOLVED:
        return f"{n.head}: {n.text}"
    sev = f" {n.severity.value}" if n.severity else ""
    return f"{n.head}{sev}: {n.text} (since {clock(n.since)}, {format_duration(n.ts - n.since)})"


def compose_group(route: str, notices: Sequence[Notice]) -> Message:
    """One message for a group's changes: a single change reads as before; many list every
    host, so an outage of twelve hosts is one page that names all twelve."""
    notices = sorted(notices, key=lambda n: (_natural(n.host), n.rule, n.dev))
    hosts = list(dict.fromkeys(n.host for n in notices))
    rules = list(dict.fromkeys(n.rule for n in notices))
    heads = list(dict.fromkeys(n.head for n in notices))
    notify_type = _type_of(notices)
    if len(notices) == 1:
        n = notices[0]
        one = f"{notice_line(n)}\nHost: {n.link}"
        return Message(route, n.host, f"[{n.head}] {n.host}: {n.text}", one, notify_type)
    title = f"[{'/'.join(heads)}] "
    if len(hosts) == 1:
        title += f"{hosts[0]}: {len(notices)} alerts ({', '.join(rules)})"
        body = [*(notice_line(n) for n in notices), f"Host: {notices[0].link}"]
    else:
        if len(rules) == 1:
            title += f"{rules[0]} on {len(hosts)} hosts: {', '.join(hosts)}"
        else:
            title += f"{len(notices)} alerts on {len(hosts)} hosts: {', '.join(hosts)}"
        body = [f"{n.host}: {notice_line(n)} {n.link}" for n in notices]
    return Message(route, ",".join(hosts)[:255], title, "\n".join(body), notify_type)


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """web-2 before web-10, so a host is easy to find in a long list."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", name) if p)


def _type_of(notices: Sequence[Notice]) -> str:
    if all(n.change is Change.RESOLVED for n in notices):
        return "success"
    if any(n.severity is Severity.CRITICAL and n.change is not Change.RESOLVED for n in notices):
        return "failure"
    return "warning"


def by_host(items: Iterable[Transition]) -> dict[str, list[Transition]]:
    grouped: dict[str, list[Transition]] = {}
    for t in items:
        grouped.setdefault(t.host, []).append(t)
    return grouped
