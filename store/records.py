"""Records the store keeps besides points, and how every record becomes a stored row.

Rows are kept as JSON-able primitives (str, int, float, None, list, dict) until the insert,
so a batch can be spooled to disk and replayed unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from poller.catalog import MetricSpec
from poller.points import HostInfo, Point, PollStatus
from poller.precision import Rounder

Row = list[Any]

POINT_COLUMNS = ("metric", "host", "dev", "ts", "value")
STATUS_COLUMNS = ("host", "ts", "state", "reason", "duration_s", "failed_sections")
HOST_INFO_COLUMNS = (
    "host", "ts", "os_name", "kernel", "arch", "cpus", "cpu_model", "memory_bytes", "boot_time",
    "failed_units",
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


def rounders(catalog: Mapping[str, MetricSpec]) -> dict[str, Rounder]:
    """metric -> the function that rounds its values as the catalog declares; exact
    metrics are left out, so they (and names the catalog does not know) keep every bit.
    Built once per writer: finding the precision per value instead cost ~3x the CPU."""
    out: dict[str, Rounder] = {}
    for name, spec in catalog.items():
        rounder = spec.precision.rounder()
        if rounder is not None:
            out[name] = rounder
    return out


_COLUMN_OF = tuple(itemgetter(i) for i in range(len(POINT_COLUMNS)))


def point_columns(points: Sequence[Point],
                  by_metric: Mapping[str, Rounder] | None = None) -> list[list[Any]]:
    """Column-oriented points; ts truncated to whole seconds (DateTime); values rounded
    per metric by `by_metric` (see `rounders`; None stores every value as it is).

    Columns are taken with `map(itemgetter(i), points)`, not `zip(*points)`, which made
    one (GC-tracked) iterator per point of a flush: ~2 ms less of ~120 a flush of 1,000
    real polls alone (bench/writer_flush.py), and the writer thread of `sshmon run` at
    1,000 hosts fell 1.41 -> 1.17 s a minute with it (bench/README.md, issue 15)."""
    metric, host, dev, ts, value = (list(map(get, points)) for get in _COLUMN_OF)
    ts = [int(t) for t in ts]
    if by_metric:
        get = by_metric.get
        value = [r(v) if (r := get(m)) is not None else v
                 for m, v in zip(metric, value, strict=True)]
    return [metric, host, dev, ts, value]


def status_row(status: PollStatus) -> Row:
    return [status.host, int(status.ts), str(status.state), status.reason,
            float(status.duration_s), list(status.failed_sections)]


def host_info_row(info: HostInfo) -> Row:
    boot = None if info.boot_time is None else int(info.boot_time)
    # an Array cannot be Nullable: "systemd did not answer" is stored as no names, and
    # the systemd_units_failed metric (absent then) tells the two apart
    return [info.host, int(info.ts), info.os_name, info.kernel, info.arch, info.cpus,
            info.cpu_model, info.memory_bytes, boot, list(info.failed_units or ())]


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
