"""Hosts: the fleet list, one host, its poll history and its top processes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from api import thresholds, views
from api.deps import Ctx, principal
from api.params import time_range
from api.processes import ProcessLister
from parsers import cmd_ps
from parsers.errors import ParseError
from poller.errors import PollError
from store import queries

router = APIRouter(prefix="/api/v1/hosts", tags=["hosts"], dependencies=[Depends(principal)])


@router.get("", summary="Every host with its state and latest key metrics")
async def list_hosts(
    request: Request,
    ctx: Ctx,
    group: Annotated[str | None, Query(max_length=128)] = None,
    label: Annotated[str | None, Query(max_length=256, description="key=value")] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
) -> list[dict[str, Any]]:
    rows = await views.overview(ctx, request.app.state.fleet, ctx.clock())
    if label is not None and "=" not in label:
        raise HTTPException(400, "label: expected key=value")
    key, _, value = (label or "").partition("=")
    return [
        r.as_json()
        for r in rows
        if (group is None or group in r.groups)
        and (label is None or (key, value) in r.labels)
        and (state is None or r.state == state)
    ]


@router.get("/{name}", summary="One host: inventory, host info, last poll, latest values")
async def get_host(ctx: Ctx, name: str) -> dict[str, Any]:
    host = views.host_or_404(ctx, name)
    return (await views.host_detail(ctx, host, ctx.clock())).as_json()


@router.get("/{name}/thresholds", summary="Warning/critical thresholds of the rules in effect")
async def host_thresholds(ctx: Ctx, name: str) -> dict[str, Any]:
    """The metric rules' thresholds for this host, per-group and per-host overrides applied,
    as the alert engine of this process evaluates them. `engine: false` (and no thresholds)
    where no engine runs (`sshmon serve`)."""
    host = views.host_or_404(ctx, name)
    config = thresholds.engine_config(ctx.alerts)
    return {
        "host": host.name,
        "engine": config is not None,
        "thresholds": [t.as_json() for t in thresholds.for_host(config, host)],
    }


@router.get("/{name}/polls", summary="Poll results of one host, newest first")
async def polls(
    ctx: Ctx,
    name: str,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    span: Annotated[str | None, Query(alias="range", max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[dict[str, Any]]:
    host = views.host_or_404(ctx, name)
    r = time_range(start, end, span, ctx.clock(), default="24h")
    rows = await ctx.queries.run(queries.poll_history, host.name, r.start, r.end, limit)
    return [row._asdict() for row in rows]


@router.get(
    "/{name}/processes",
    name="host_processes",
    summary="Top processes by CPU and memory, from a live `ps`",
)
async def processes(
    request: Request, ctx: Ctx, name: str, n: Annotated[int, Query(ge=1, le=50)] = 15
) -> dict[str, Any]:
    host = views.host_or_404(ctx, name)
    lister: ProcessLister | None = request.app.state.processes
    if lister is None:
        raise HTTPException(503, "live process lists need the poller in this process (sshmon run)")
    try:
        taken, listing = await lister.get(host.name)
    except ParseError as exc:
        raise HTTPException(502, f"unexpected ps output from {host.name}: {exc}") from exc
    except (PollError, OSError, TimeoutError) as exc:
        raise HTTPException(502, f"could not run ps on {host.name}: {exc}") from exc

    def rows(procs: list[cmd_ps.Process]) -> list[dict[str, Any]]:
        return [
            {
                "pid": p.pid,
                "user": p.user,
                "command": p.command,
                "cpu_percent": p.cpu_percent,
                "rss_bytes": p.rss_bytes,
            }
            for p in procs
        ]

    return {
        "host": host.name,
        "ts": taken,
        "count": len(listing.processes),
        "has_cpu": listing.has_cpu,
        "has_rss": listing.has_rss,
        "truncated": listing.truncated,
        "by_cpu": rows(listing.top_by_cpu(n)),
        "by_memory": rows(listing.top_by_memory(n)),
    }
