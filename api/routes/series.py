"""History: one series (JSON or CSV), a summary over a range, top hosts, a host's charts.

Every request is bounded before it reaches the store: the metric must be in the catalog,
the range at most two years, the point count at most `web.max_points`; the store then picks
the resolution (raw or a rollup) so a 1-year series costs about what a 1-hour one does.
"""

from __future__ import annotations

import csv
import io
import time
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api import views
from api.charts import CHARTS
from api.deps import Ctx, principal
from api.params import MAX_SPAN_S, BadParam, TimeRange, time_range
from api.present import rounded
from poller.catalog import METRICS, MetricSpec
from poller.collectors import custom
from poller.inventory import Host
from poller.precision import exact
from store import queries

router = APIRouter(prefix="/api/v1", tags=["history"], dependencies=[Depends(principal)])
SUMMARY_STATS = ("avg", "min", "max", "p95", "p99")  # values of the metric: rounded like it


class RangeQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: str | None = Field(
        None, alias="from", max_length=40, description="epoch seconds, ISO 8601 or now-<n><unit>"
    )
    end: str | None = Field(None, alias="to", max_length=40)
    span: str | None = Field(None, alias="range", max_length=10, description="e.g. 1h, 7d")

    def resolve(self, now: float) -> TimeRange:
        """`now` is the app's clock (AppContext.clock), so tests can pin it."""
        return time_range(self.start, self.end, self.span, now)


class SeriesQuery(RangeQuery):
    host: str = Field(max_length=128)
    metric: str = Field(max_length=128)
    dev: str | None = Field(
        None, max_length=512, description="device, interface or mount point for per-device metrics"
    )
    step: int | None = Field(
        None,
        ge=1,
        le=MAX_SPAN_S,
        description="bucket width in seconds; at least the host's poll interval",
    )
    max_points: int | None = Field(None, ge=2)  # over web.max_points: a 400 saying the cap
    format: Literal["json", "csv"] = "json"


class TopQuery(RangeQuery):
    metric: str = Field(max_length=128)
    n: int = Field(10, ge=1, le=100)
    by: Literal["avg", "max", "min"] = "avg"
    dev: str | None = Field(None, max_length=512)


def metric_or_400(name: str, dev: str | None) -> MetricSpec:
    """The catalog row of `name`; a user metric (`custom:<name>`, textfile or commands)
    gets a row of its own: no unit known, its label string in dev ('' without labels)."""
    if name.startswith(custom.PREFIX) and custom.rule_name_problem(name) is None:
        return _custom_spec(name)
    spec = METRICS.get(name)
    if spec is None:
        raise HTTPException(404, f"unknown metric {name!r}; GET /api/v1/metrics lists them")
    if spec.dev is None and dev:
        raise BadParam(f"{name} is host-wide; leave dev out")
    return spec


@lru_cache(maxsize=1024)
def _custom_spec(name: str) -> MetricSpec:
    # dev None: user series are asked for with or without dev= (labels are optional)
    return MetricSpec(name, "count", "gauge", None, "user metric", exact())


def _points(ctx: Ctx, q: SeriesQuery, span: TimeRange, host: Host) -> int:
    cap = ctx.settings.max_points
    if q.step is not None and q.step < views.min_step(host):
        raise BadParam(
            f"step {q.step} s is below the narrowest bucket for {host.name} "
            f"({views.min_step(host)} s, from its poll interval of {host.interval:g} s): finer "
            "buckets would only repeat points"
        )
    if q.step is not None:
        # a longer range comes in pages (`_page`): this one holds at most `cap` buckets
        return max(min(int(span.span // q.step) + 1, cap), 2)
    if q.max_points is not None and q.max_points > cap:
        raise BadParam(f"max_points may be at most {cap}")
    return q.max_points or min(1000, cap)


def _page(ctx: Ctx, q: SeriesQuery, span: TimeRange) -> tuple[TimeRange, float | None]:
    """With an explicit step, a range of more than `web.max_points` buckets is exported in
    pages: this page's range, and where the next one starts (None: this is the last).
    Pages end on a bucket boundary, so no bucket is split between two of them."""
    cap = ctx.settings.max_points
    if q.step is None or span.span // q.step + 1 <= cap:
        return span, None
    first_bucket = span.start - span.start % q.step
    end = first_bucket + (cap - 1) * q.step
    return TimeRange(span.start, end), end


def _next_url(request: Request, q: SeriesQuery, start: float, end: float) -> str:
    """The cursor: this request again from the next page on, with absolute times (a range
    like `range=30d` would move with the clock between pages)."""
    params = {k: v for k, v in request.query_params.items() if k not in ("from", "to", "range")}
    params.update({"from": f"{start:.0f}", "to": f"{end:.0f}"})
    return f"{request.url.path}?{urlencode(params)}"


@router.get("/series", summary="One series over a range, from the right resolution")
async def series(request: Request, ctx: Ctx, q: Annotated[SeriesQuery, Query()]) -> Any:
    """With `step`, a range longer than `web.max_points` buckets comes in pages: the JSON
    has `next` (a URL for the rest, or null), CSV a `Link: <…>; rel="next"` header."""
    spec = metric_or_400(q.metric, q.dev)
    host = views.host_or_404(ctx, q.host)
    if spec.dev is not None and not q.dev:
        raise BadParam(f"{q.metric} is per {spec.dev}; give dev= (see /api/v1/hosts/{host.name})")
    whole = q.resolve(ctx.clock())
    span, next_start = _page(ctx, q, whole)
    points = _points(ctx, q, span, host)
    after = _next_url(request, q, next_start, whole.end) if next_start is not None else None
    result = await ctx.queries.run(
        queries.series,
        host.name,
        q.metric,
        q.dev,
        span.start,
        span.end,
        points,
        min_step=views.min_step(host),
    )
    if q.format == "csv":
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")
        out.writerow(["time", "timestamp", "avg", "min", "max"])
        for p in result.points:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(p.ts))
            avg, low, high = (rounded(q.metric, v) for v in (p.avg, p.min, p.max))
            out.writerow([stamp, f"{p.ts:.0f}", repr(avg), repr(low), repr(high)])
        filename = f"{host.name}-{q.metric}.csv".replace('"', "")
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if after is not None:
            headers["Link"] = f'<{after}>; rel="next"'
        return Response(buf.getvalue(), media_type="text/csv", headers=headers)
    return {
        "host": result.host,
        "metric": result.metric,
        "dev": result.dev,
        "unit": spec.unit,
        "from": span.start,
        "to": span.end,
        "resolution": result.resolution,
        "step": result.step_s,
        "points": [
            [p.ts, *(rounded(q.metric, v) for v in (p.avg, p.min, p.max))] for p in result.points
        ],
        "next": after,
    }


@router.get("/summary", summary="avg, min, max, p95, p99 of one series over a range")
async def summary(ctx: Ctx, q: Annotated[SeriesQuery, Query()]) -> Any:
    spec = metric_or_400(q.metric, q.dev)
    host = views.host_or_404(ctx, q.host)
    if spec.dev is not None and not q.dev:
        raise BadParam(f"{q.metric} is per {spec.dev}; give dev=")
    span = q.resolve(ctx.clock())
    s = await ctx.queries.run(queries.summary, host.name, q.metric, q.dev, span.start, span.end)
    stats = {k: rounded(q.metric, getattr(s, k)) for k in SUMMARY_STATS}
    body = {
        "host": host.name,
        "metric": q.metric,
        "dev": q.dev or "",
        "unit": spec.unit,
        "from": span.start,
        "to": span.end,
        **s.__dict__,
        **stats,
    }
    if q.format == "csv":
        return _csv([list(body), ["" if v is None else v for v in body.values()]], host.name, q)
    return body


def _csv(rows: list[list[Any]], host: str, q: SeriesQuery) -> Response:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    filename = f"{host}-{q.metric}-summary.csv".replace('"', "")
    return Response(
        buf.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/top", summary="The hosts with the highest value of a metric over a range")
async def top(ctx: Ctx, q: Annotated[TopQuery, Query()]) -> dict[str, Any]:
    spec = metric_or_400(q.metric, q.dev)
    span = q.resolve(ctx.clock())
    rows = await ctx.queries.run(
        queries.top_hosts, q.metric, span.start, span.end, q.n, q.by, q.dev
    )
    return {
        "metric": q.metric,
        "unit": spec.unit,
        "by": q.by,
        "from": span.start,
        "to": span.end,
        "hosts": [{"host": r.host, "value": rounded(q.metric, r.value)} for r in rows],
    }


class ChartsQuery(RangeQuery):
    charts: str | None = Field(
        default=None, max_length=4000, description="comma-separated chart ids; default all"
    )


@router.get("/hosts/{name}/charts", summary="The host page's charts over a range")
async def host_charts(ctx: Ctx, name: str, q: Annotated[ChartsQuery, Query()]) -> dict[str, Any]:
    host = views.host_or_404(ctx, name)
    only = None
    if q.charts:
        only = frozenset(q.charts.split(","))
        # the "custom" group's ids (custom-<name>) depend on what the host sent
        unknown = {i for i in only - {c.id for c in CHARTS} if not i.startswith("custom-")}
        if unknown:
            raise BadParam(f"unknown chart ids {sorted(unknown)}; known: {[c.id for c in CHARTS]}")
    return await views.host_charts(ctx, host, q.resolve(ctx.clock()), only)
