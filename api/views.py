"""What pages and API share: the overview rows, one host's facts, one host's chart data.

Routers call these; these call store.queries on the query pool (never SQL here), so the
HTML page and the JSON for the same thing are built once and cannot drift apart.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException

from alerts.service import host_marks
from api import fleet, thresholds
from api.charts import CHARTS, Chart, custom_charts
from api.context import AppContext
from api.fleetcache import FleetCache, reload
from api.params import TimeRange
from api.present import rounded
from poller.inventory import Host
from store import queries
from store.resolution import DEFAULT_MIN_STEP_S
from store.rows import HostInfoRow, LatestRow, PollStatusRow, Series

CHART_POINTS = 800  # per series: about one point per horizontal pixel of a wide chart
MAX_DEVS = 16  # per chart; a host with 300 veth interfaces keeps its busiest 16
_DIGITS = re.compile(r"(\d+)", re.ASCII)  # ASCII: int() of any run it splits out


def host_or_404(ctx: AppContext, name: str) -> Host:
    try:
        return ctx.inventory.host(name)
    except KeyError:
        raise HTTPException(404, f"no host named {name!r} in the inventory") from None


async def overview(ctx: AppContext, cache: FleetCache, now: float) -> list[fleet.Row]:
    """From memory (see api/fleetcache.py); only the first call after start-up may wait
    for the store."""
    if not cache.loaded.is_set():
        await reload(ctx, cache)
    alerts = ctx.firing_alerts() if ctx.firing_alerts else {}
    rows = cache.rows(ctx, alerts, now)
    mark_rows(ctx, rows, now)
    return rows


def mark_rows(ctx: AppContext, rows: list[fleet.Row], now: float) -> None:
    """Threshold levels of the cells and silenced/acknowledged marks, from the engine of
    this process (none without one: `sshmon serve`)."""
    if ctx.alerts is None:
        return
    rules = thresholds.cell_rules(thresholds.engine_config(ctx.alerts))
    hosts = {h.name: h for h in ctx.inventory.hosts}
    marks = host_marks(ctx.alerts.engine, hosts.values(), now)
    for row in rows:
        host = hosts.get(row.name)
        if host is not None:
            row.levels = thresholds.cell_levels(rules, host, row.values)
        row.marks = tuple(sorted(marks.get(row.name, ())))


@dataclass
class HostDetail:
    host: Host
    info: HostInfoRow | None
    poll: PollStatusRow | None
    latest: list[LatestRow]
    state: str
    reason: str

    @property
    def last_data(self) -> float | None:
        """When the host last answered with data; None if it never has. Not the last poll
        attempt: a host never reached has failed polls, and "last poll: just now" read as
        if it were fine."""
        return max((r.ts for r in self.latest), default=None)

    def as_json(self) -> dict[str, Any]:
        h = self.host
        return {
            "name": h.name,
            "address": h.address,
            "port": h.port,
            "groups": list(h.groups),
            "labels": dict(h.labels),
            "interval_s": h.interval,
            "state": self.state,
            "reason": self.reason,
            "last_poll": self.poll.ts if self.poll else None,
            "last_data": self.last_data,
            "poll_duration_s": self.poll.duration_s if self.poll else None,
            "failed_sections": list(self.poll.failed_sections) if self.poll else [],
            "info": self.info._asdict() if self.info else None,
            "latest": [
                {"metric": r.metric, "dev": r.dev, "ts": r.ts, "value": rounded(r.metric, r.value)}
                for r in self.latest
            ],
        }


async def host_detail(ctx: AppContext, host: Host, now: float) -> HostDetail:
    latest, polls, infos = await asyncio.gather(
        ctx.queries.run(queries.latest_host, host.name),
        ctx.queries.run(queries.poll_history, host.name, now - 7 * 86400, now + 60, 1),
        ctx.queries.run(queries.host_infos),
    )
    poll = polls[0] if polls else None
    info = next((i for i in infos if i.host == host.name), None)
    state, reason = "pending", "not polled yet"
    if poll is not None:
        state, reason = fleet.state_of(poll.state, poll.reason, poll.ts, host.interval, now)
    return HostDetail(host, info, poll, latest, state, reason)


def _chart_keys(chart: Chart, latest: list[LatestRow]) -> list[tuple[str, str, str]]:
    """(metric, dev, legend label) for every series this host has for this chart."""
    have = {(r.metric, r.dev): r.value for r in latest if r.metric in chart.metrics}
    if not chart.per_dev:
        return [(s.metric, "", s.label) for s in chart.series if (s.metric, "") in have]
    # per device: busiest first by the chart's first metric, capped, then by name
    devs: dict[str, float] = {}
    for (metric, dev), value in have.items():
        devs[dev] = max(devs.get(dev, 0.0), value if metric == chart.series[0].metric else 0.0)
    busiest = sorted(devs, key=lambda d: -devs[d])
    keep = sorted(busiest if chart.all_devs else busiest[:MAX_DEVS], key=_natural)
    return [
        (s.metric, dev, f"{dev} {s.label}" if len(chart.series) > 1 else dev or s.label)
        for dev in keep
        for s in chart.series
        if (s.metric, dev) in have
    ]


def _natural(dev: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key reading digit runs as numbers: cpu2 before cpu10, eth2 before eth10.
    split() puts the digit runs at odd indexes; each part is tagged (0 text, 1 number) so
    text never meets an int in a comparison."""
    return tuple(
        (1, int(part)) if i % 2 else (0, part) for i, part in enumerate(_DIGITS.split(dev))
    )


natural_key = _natural  # the host page's hardware tables (api/hardware.py) sort alike


def _align(series: list[Series]) -> tuple[list[float], list[list[float | None]]]:
    """Put series on one time axis; a gap longer than two steps gets a null, so a host that
    was down draws as a break rather than a straight line across the outage.

    A step is the bucket width or the series' own cadence, whichever is longer: df runs
    every `slow_every` polls (2 min by default), so in 10 s buckets its points are 12
    buckets apart without any outage, and a host polled every minute is the same."""
    step = max((max(s.step_s, _cadence(s)) for s in series), default=0)
    stamps = sorted({p.ts for s in series for p in s.points})
    axis: list[float] = []
    for ts in stamps:
        if axis and step and ts - axis[-1] > 2 * step:
            axis.append(axis[-1] + step)
        axis.append(ts)
    index = {ts: i for i, ts in enumerate(axis)}
    columns: list[list[float | None]] = []
    for s in series:
        col: list[float | None] = [None] * len(axis)
        for p in s.points:
            col[index[p.ts]] = rounded(s.metric, p.avg)
        columns.append(col)
    return axis, columns


def _cadence(s: Series) -> float:
    """The usual time between a series' points (median gap; 0 with fewer than 2 points):
    the median, so one outage in the range does not pass for the cadence."""
    gaps = sorted(b.ts - a.ts for a, b in itertools.pairwise(s.points))
    return gaps[len(gaps) // 2] if gaps else 0.0


def min_step(host: Host) -> int:
    """The narrowest bucket worth reading: a host polled faster than every 10 s gets buckets
    as narrow as its polls (1 s polls: 1 s buckets, from raw); slower hosts keep 10 s, as
    their charts' gaps are drawn from the data's own cadence (views._align)."""
    return max(1, min(DEFAULT_MIN_STEP_S, int(host.interval)))


async def host_charts(
    ctx: AppContext, host: Host, span: TimeRange, only: frozenset[str] | None = None
) -> dict[str, Any]:
    """Chart data; `only` limits it to some chart ids (the page asks for the charts on
    screen first and the rest right after, so the top of the page draws sooner)."""
    latest = await ctx.queries.run(queries.latest_host, host.name)
    charts = (*CHARTS, *custom_charts(r.metric for r in latest))
    plan = [
        (chart, _chart_keys(chart, latest)) for chart in charts if only is None or chart.id in only
    ]
    wanted = [(metric, dev) for _, keys in plan for metric, dev, _ in keys]
    # one query for every series of the page: ~40 separate ones cost 6-7 ms each
    results = iter(
        await ctx.queries.run(
            queries.series_many,
            host.name,
            wanted,
            span.start,
            span.end,
            CHART_POINTS,
            min_step=min_step(host),  # a host polled every second charts seconds
        )
    )
    out = []
    resolution, step = queries.choose_resolution(
        span.start, span.end, CHART_POINTS, min_step=min_step(host)
    )
    limits = thresholds.for_host(thresholds.engine_config(ctx.alerts), host)
    for chart, keys in plan:
        got = [next(results) for _ in keys]
        ts, values = _align(got)
        out.append(
            {
                "id": chart.id,
                "title": chart.title,
                "unit": chart.unit,
                "stacked": chart.stacked,
                "series": [{"metric": m, "dev": d, "label": label} for m, d, label in keys],
                "ts": ts,
                "values": values,
                # the alert rules' lines on this chart (see api/thresholds.py)
                "thresholds": [t.as_json() for t in limits if t.metric in chart.thresholds_of],
            }
        )
    return {
        "host": host.name,
        "from": span.start,
        "to": span.end,
        "resolution": resolution,
        "step": step,
        "charts": out,
    }
