"""Records the store keeps besides points, and how every record becomes a stored row.

Rows are kept as JSON-able primitives (str, int, float, None, list, dict) until the insert,
so a batch can be spooled to disk and replayed unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from poller.points import HostInfo, Point, PollStatus

Row = list[Any]

POINT_COLUMNS = ("metric", "host", "dev", "ts", "value")
STATUS_COLUMNS = ("host", "ts", "state", "reason", "duration_s", "failed_sections")
HOST_INFO_COLUMNS = (
    "host", "ts", "os_name", "kernel", "arch", "cpus", "cpu_model", "memory_bytes", "boot_time",
)
ALERT_COLUMNS = (
    "ts", "host", "rule", "severity", "state", "value", "threshold", "message", "labels",
)


@dataclass(frozen=True)
class AlertEvent:
    """One alert state transition (or reminder), as the alert engine reports it.

    `state` is the state entered: 'pending', 'firing', 'resolved', 'inactive', or a
    notification outcome the engine wants in history; `value`/`threshold` are None when
    the rule is not numeric (host down, host key changed).
    """

    ts: float
    host: str
    rule: str
    severity: str
    state: str
    value: float | None = None
    threshold: float | None = None
    message: str = ""
    labels: dict[str, str] = field(default_factory=dict)


def round_significant(value: float, digits: int | None, decimals: int | None = None) -> float:
    """Keep `digits` significant digits, and at most `decimals` after the point.

    Digits below sensor precision are noise that costs disk: on realistic series they are
    most of the bytes per sample (bench/store_bytes.py). Rounds to the nearest double of
    the decimal, so 12.3456 becomes exactly what `12.35` parses to.
    """
    if digits is None or value == 0.0 or not math.isfinite(value):
        return value
    if decimals is not None and abs(value) < 10.0 ** (digits - decimals):
        return round(value, decimals)  # the decimals cap is the tighter bound here
    return float(f"{value:.{digits}g}")


def _rounder(digits: int | None, decimals: int | None) -> Callable[[float], float] | None:
    """round_significant with its settings bound; ~3x faster per value at 200k values/s."""
    if digits is None:
        return None
    spec = f".{digits}g"
    if decimals is None:
        return lambda v: float(format(v, spec)) if math.isfinite(v) else v
    limit = 10.0 ** (digits - decimals)
    return lambda v: (round(v, decimals) if -limit < v < limit
                      else float(format(v, spec)) if math.isfinite(v) else v)


def point_columns(points: Sequence[Point], digits: int | None,
                  decimals: int | None = None) -> list[list[Any]]:
    """Column-oriented points; ts truncated to whole seconds (DateTime)."""
    if not points:
        return [[] for _ in POINT_COLUMNS]
    metric, host, dev, ts, value = (list(c) for c in zip(*points, strict=True))
    ts = [int(t) for t in ts]
    rounder = _rounder(digits, decimals)
    if rounder is not None:
        value = list(map(rounder, value))
    return [metric, host, dev, ts, value]


def status_row(status: PollStatus) -> Row:
    return [status.host, int(status.ts), str(status.state), status.reason,
            float(status.duration_s), list(status.failed_sections)]


def host_info_row(info: HostInfo) -> Row:
    boot = None if info.boot_time is None else int(info.boot_time)
    return [info.host, int(info.ts), info.os_name, info.kernel, info.arch, info.cpus,
            info.cpu_model, info.memory_bytes, boot]


def alert_row(event: AlertEvent) -> Row:
    return [event.ts, event.host, event.rule, event.severity, event.state, event.value,
            event.threshold, event.message, dict(event.labels)]


def for_insert(table: str, columns: list[list[Any]]) -> list[list[Any]]:
    """Last conversion before the driver: DateTime64 wants datetime objects, not floats."""
    if table != "alert_events":
        return columns
    converted = list(columns)
    converted[0] = [datetime.fromtimestamp(t, tz=UTC) for t in columns[0]]
    return converted
