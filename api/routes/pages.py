"""The HTML pages: fleet overview, host page, API docs. Server-rendered, enhanced by
web/static/js; every value from a target or the inventory goes through jinja2's escaping."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api import cgroups, views
from api.charts import CHARTS, custom_charts
from api.context import AppContext
from api.deps import WEB_DIR, Ctx, Principal, get_ctx, principal, templates
from api.hardware import hardware
from api.params import PRESETS, BadParam, time_range
from api.security import CSRF_COOKIE
from poller.inventory import Host
from store.rows import HostInfoRow

router = APIRouter(include_in_schema=False)
VENDOR = WEB_DIR / "static" / "vendor"
# overview columns after host and state: (cell, format); the table header names them
OVERVIEW_CELLS = (
    ("cpu", "percent"),
    ("mem", "percent"),
    ("fs", "percent"),
    ("load", "number"),
    ("net_in", "rate"),
    ("net_out", "rate"),
    ("uptime", "duration"),
)
# rows laid out at first; the rest are revealed as the table is scrolled (2,000 laid-out
# rows took 1 to 2 s of browser time on a small machine, see bench/README.md)
OVERVIEW_PAGE = 300
SETUP = "cd web && npm ci && npm run build    # or: make web-assets"


def _page(
    request: Request, who: Principal, name: str, context: dict[str, object], status: int = 200
) -> Response:
    context = {
        "who": who,
        "csrf": request.cookies.get(CSRF_COOKIE, ""),
        "now": get_ctx(request).clock(),  # "… ago" on the same clock as the data's ranges
        **context,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)


def _missing_assets(request: Request, who: Principal, *files: str) -> Response | None:
    missing = [f for f in files if not (VENDOR / f).is_file()]
    if not missing:
        return None
    return _page(
        request,
        who,
        "message.html",
        {
            "title": "Web assets are not installed",
            "message": f"This page needs {', '.join(missing)} in web/static/vendor/, which the "
            "README's set-up builds from the npm registry. Run this in the sshmon "
            "checkout, then reload:",
            "command": SETUP,
        },
        503,
    )


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request, ctx: Ctx, who: Annotated[Principal, Depends(principal)]
) -> Response:
    # name order is the table's default sort: the script then has nothing to move at load
    rows = sorted(
        await views.overview(ctx, request.app.state.fleet, ctx.clock()), key=lambda r: r.name
    )
    groups = sorted({g for h in ctx.inventory.hosts for g in h.groups})
    labels = sorted({f"{k}={v}" for h in ctx.inventory.hosts for k, v in h.labels})
    states = Counter(r.state for r in rows)
    return _page(
        request,
        who,
        "overview.html",
        {
            "rows": rows,
            "groups": groups,
            "labels": labels,
            "states": sorted(states),
            "state_counts": sorted(states.items()),
            "cells": OVERVIEW_CELLS,
            "page_size": OVERVIEW_PAGE,
        },
    )


@router.get("/hosts/{name}", response_class=HTMLResponse)
async def host_page(
    request: Request,
    ctx: Ctx,
    who: Annotated[Principal, Depends(principal)],
    name: str,
    span: Annotated[str | None, Query(alias="range", max_length=10)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
) -> Response:
    host = views.host_or_404(ctx, name)
    missing = _missing_assets(request, who, "uPlot.iife.min.js", "uPlot.min.css")
    if missing is not None:
        return missing
    now = ctx.clock()
    if not start and not span:
        span = "1h"
    try:
        rng = time_range(start, end, span, now)
    except BadParam as exc:
        return _page(
            request, who, "message.html", {"title": "Bad time range", "message": exc.detail}, 400
        )
    detail = await views.host_detail(ctx, host, now)
    cgroup_tables = await cgroups.tables(ctx, host, detail.latest, rng)
    uptime = next((r.value for r in detail.latest if r.metric == "uptime_seconds"), None)
    return _page(
        request,
        who,
        "host.html",
        {
            "host": host,
            "info": detail.info._asdict() if detail.info else dict.fromkeys(HostInfoRow._fields),
            "state": detail.state,
            "reason": detail.reason,
            "last_poll": detail.last_data,
            "uptime": uptime,
            "charts": (*CHARTS, *custom_charts(r.metric for r in detail.latest)),
            "presets": PRESETS,
            "range": rng,
            "range_param": span if not start else None,
            "collectors": _collectors(ctx, host),
            "cgroups": cgroup_tables,
            "hardware": hardware(detail.latest),
        },
    )


def _collectors(ctx: AppContext, host: Host) -> list[tuple[str, str, str]]:
    """(collector, state, reason) of every collector the host has on; empty where this
    process does not poll (`sshmon serve`)."""
    if ctx.collector_status is None:
        return []
    seen = ctx.collector_status(host.name)
    out = []
    for name in host.collectors:
        st = seen.get(name)
        out.append((name, st.state.value, st.reason) if st else (name, "pending", ""))
    out += [(n, st.state.value, st.reason) for n, st in seen.items() if n not in host.collectors]
    return out


@router.get("/docs", response_class=HTMLResponse)
async def docs(request: Request, who: Annotated[Principal, Depends(principal)]) -> Response:
    missing = _missing_assets(request, who, "swagger-ui-bundle.js", "swagger-ui.css")
    return missing or _page(request, who, "docs.html", {})
