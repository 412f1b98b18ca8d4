"""What an alert change says, and how a host's simultaneous changes become one message.

Short on purpose (what, where, how bad, since when, the host page): people read these on a
phone. Everything a target sent (device names) goes through the sandboxed rule template.
"""

from __future__ import annotations

import math
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


def by_host(items: Iterable[Transition]) -> dict[str, list[Transition]]:
    grouped: dict[str, list[Transition]] = {}
    for t in items:
        grouped.setdefault(t.host, []).append(t)
    return grouped
