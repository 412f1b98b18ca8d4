"""Records the store keeps besides points, and how every record becomes a stored row.

Rows are kept as JSON-able primitives (str, int, float, None, list, dict) until the insert,
so a batch can be spooled to disk and replayed unchanged.
"""

from __future__ import annotations

from array import array
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


class PointColumns:
    """Points column by column, as the writer holds them until the next flush.

    A queued `Point` tuple with its own value float is ~104 bytes a point (~100 points a
    poll of a real host: ~11 KB a host by the next 10 s flush); here a point is four
    references (to strings and a timestamp the poll's points share) and a double in an
    array: ~40 bytes (issue 15). The columns are what the insert wants, and building them
    with `map(itemgetter(i), ...)` costs a third of `zip(*points)` over a flush of 100k
    points, which made one iterator per point (bench/writer_flush.py).
    """

    __slots__ = ("dev", "host", "metric", "ts", "value")

    def __init__(self) -> None:
        self.metric: list[str] = []
        self.host: list[str] = []
        self.dev: list[str] = []
        self.ts: list[float] = []
        self.value = array("d")

    def __len__(self) -> int:
        return len(self.metric)

    def extend(self, points: Sequence[Point]) -> None:
        """Append `points`; all or nothing: a value that is no number raises TypeError
        before any column grows, so the columns stay aligned."""
        values = array("d", list(map(_VALUE, points)))  # from a list: ~4x faster than a map
        self.metric.extend(map(_METRIC, points))
        self.host.extend(map(_HOST, points))
        self.dev.extend(map(_DEV, points))
        self.ts.extend(map(_TS, points))
        self.value.extend(values)


_METRIC, _HOST, _DEV, _TS, _VALUE = (itemgetter(i) for i in range(5))


def point_columns(points: Sequence[Point] | PointColumns,
                  by_metric: Mapping[str, Rounder] | None = None) -> list[list[Any]]:
    """Column-oriented points; ts truncated to whole seconds (DateTime); values rounded
    per metric by `by_metric` (see `rounders`; None stores every value as it is)."""
    if not isinstance(points, PointColumns):
        columns = PointColumns()
        columns.extend(points)
        points = columns
    metric = points.metric
    ts = [int(t) for t in points.ts]
    value = points.value.tolist()  # the same doubles, as the floats the driver packs
    if by_metric:
        get = by_metric.get
        value = [r(v) if (r := get(m)) is not None else v
                 for m, v in zip(metric, value, strict=True)]
    return [metric, points.host, points.dev, ts, value]


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
