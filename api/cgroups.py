"""The host page's Services and Containers tables: the last slow round's values per cgroup,
top consumers first, each value with a sparkline of the page's time range.

Rows come from the `latest` rows the page already read; the sparklines from ONE series query
for every cell shown. They are drawn here as inline SVG polylines (numbers only, computed
from stored floats), so the tables need no script and no chart per cell.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Final

from api.context import AppContext
from api.params import TimeRange
from poller.inventory import Host
from store import queries
from store.rows import LatestRow

# (column, metric suffix after `service_` / `container_`)
COLUMNS: Final = (
    ("cpu", "cpu_percent"),
    ("memory", "memory_bytes"),
    ("read", "io_read_bytes_per_second"),
    ("write", "io_write_bytes_per_second"),
)
KINDS: Final = ("service", "container")
METRIC_NAMES: Final = frozenset(f"{k}_{suffix}" for k in KINDS for _, suffix in COLUMNS)
MAX_ROWS: Final = 25  # per table: the top consumers; the rest are in the API
SPARK_POINTS: Final = 120  # per sparkline at most: more than its 80 px show
SPARK_W: Final = 80
SPARK_H: Final = 18
# a row whose newest value is older than the kind's newest round by more than this is a
# service that has stopped (the `latest` table keeps the last value of every series)
SAME_ROUND_S: Final = 1.0


@dataclass
class CgroupRow:
    name: str
    values: dict[str, float | None]  # column -> value
    # column -> polylines of the sparkline (each "x,y x,y …"; a gap starts a new one)
    sparks: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class CgroupTables:
    services: list[CgroupRow]
    containers: list[CgroupRow]
    services_total: int
    containers_total: int
    measured_at: float | None


def rows_of(kind: str, latest: list[LatestRow]) -> list[CgroupRow]:
    """The kind's cgroups of the newest round, top CPU first, then memory, then name."""
    metric_col = {f"{kind}_{suffix}": col for col, suffix in COLUMNS}
    mine = [r for r in latest if r.metric in metric_col]
    if not mine:
        return []
    newest = max(r.ts for r in mine)
    rows: dict[str, CgroupRow] = {}
    for r in mine:
        if r.ts < newest - SAME_ROUND_S:
            continue
        row = rows.setdefault(r.dev, CgroupRow(r.dev, dict.fromkeys(c for c, _ in COLUMNS)))
        row.values[metric_col[r.metric]] = r.value
    return sorted(
        rows.values(),
        key=lambda row: (
            -(row.values["cpu"] or 0.0),
            -(row.values["memory"] or 0.0),
            row.name,
        ),
    )


def polylines(
    points: list[tuple[float, float]],
    start: float,
    end: float,
    width: int = SPARK_W,
    height: int = SPARK_H,
) -> list[str]:
    """SVG polyline point lists of (ts, value) points over [start, end], scaled to the
    series' own 0..max. A gap of more than twice the usual spacing (the median: slow-round
    metrics come every `slow_every` polls) breaks the line, as the charts do (views._align);
    a lone point is drawn as a short flat segment, so it still shows."""
    if not points or end <= start:
        return []
    top = max(v for _, v in points)
    scale = (height - 2) / top if top > 0 else 0.0
    gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(points))
    usual = gaps[len(gaps) // 2] if gaps else 0.0
    lines: list[str] = []
    run: list[str] = []
    last_ts: float | None = None
    for ts, v in points:
        if last_ts is not None and usual and ts - last_ts > 2 * usual and run:
            lines.append(_closed(run))
            run = []
        x = (ts - start) / (end - start) * width
        run.append(f"{x:.1f},{height - 1 - v * scale:.1f}")
        last_ts = ts
    lines.append(_closed(run))
    return lines


def _closed(run: list[str]) -> str:
    if len(run) == 1:
        x, y = run[0].split(",")
        return f"{x},{y} {float(x) + 1.5:.1f},{y}"
    return " ".join(run)


async def tables(
    ctx: AppContext, host: Host, latest: list[LatestRow], span: TimeRange
) -> CgroupTables:
    services, containers = rows_of("service", latest), rows_of("container", latest)
    shown = {"service": services[:MAX_ROWS], "container": containers[:MAX_ROWS]}
    keys = [
        (f"{kind}_{suffix}", row.name)
        for kind, rows in shown.items()
        for row in rows
        for _, suffix in COLUMNS
    ]
    if keys:
        got = await ctx.queries.run(
            queries.series_many, host.name, keys, span.start, span.end, SPARK_POINTS
        )
        by_key = {(s.metric, s.dev): s for s in got}
        for kind, rows in shown.items():
            for row in rows:
                for col, suffix in COLUMNS:
                    series = by_key.get((f"{kind}_{suffix}", row.name))
                    if series is not None and series.points:
                        pts = [(p.ts, p.avg) for p in series.points]
                        row.sparks[col] = polylines(pts, span.start, span.end)
    stamps = [r.ts for r in latest if r.metric in METRIC_NAMES]
    return CgroupTables(
        shown["service"],
        shown["container"],
        len(services),
        len(containers),
        max(stamps, default=None),
    )
