"""Live updates over Server-Sent Events, and the overview's sparklines.

`view=overview` streams the cells each poll changes (computed by fleet.row_values, as the
server-rendered table is); `host=NAME` streams that host's points for the charts. A
comment line every 15 s keeps proxies from closing an idle stream and lets us notice a
client that went away. Streams are capped per client and in total (api/streams.py), and an
open stream re-checks its token or session every `web.live.recheck_seconds`: a revoked
token or a signed-out session stops receiving within that time (sign-out in this process
ends it at once).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from alerts.config import AlertsConfig, Rule
from api import fleet, thresholds, views
from api.auth import still_valid
from api.context import AppContext
from api.deps import Ctx, Principal, principal
from api.hub import Subscription
from api.streams import LiveStreams, StreamRefused

router = APIRouter(prefix="/api/v1", tags=["live"], dependencies=[Depends(principal)])
KEEPALIVE_S = 15.0
RETRY_MS = 2000  # how soon EventSource reconnects after the stream ends
REFUSED_RETRY_S = 30  # Retry-After when the stream caps are reached


class _CellRules:
    """thresholds.cell_rules of the engine's config, worked out again only when a reload
    replaced the config: an overview stream gets one event per poll of every host."""

    def __init__(self) -> None:
        self._config: AlertsConfig | None = None
        self._rules: dict[str, list[Rule]] = {}

    def of(self, config: AlertsConfig) -> dict[str, list[Rule]]:
        if config is not self._config:
            self._config, self._rules = config, thresholds.cell_rules(config)
        return self._rules


def _overview_event(
    ctx: AppContext, event: dict[str, Any], cell_rules: _CellRules
) -> dict[str, Any]:
    cells: dict[str, Any] = dict.fromkeys(
        ("cpu", "mem", "fs", "load", "net_in", "net_out", "uptime")
    )
    cells.update(fleet.row_values((m, d, v) for m, d, _, v in event["points"]))
    # the threshold colours follow the values (the same judgement as the rendered table)
    levels: dict[str, str] = {}
    config = thresholds.engine_config(ctx.alerts)
    if config is not None:
        try:
            host = ctx.inventory.host(event["host"])
        except KeyError:  # polled but gone from the inventory (a reload in between)
            pass
        else:
            levels = thresholds.cell_levels(cell_rules.of(config), host, cells)
    return {k: event[k] for k in ("host", "ts", "state", "reason")} | {
        "cells": cells,
        "levels": levels,
    }


@router.get(
    "/live",
    summary="Server-Sent Events: one `poll` event per poll",
    responses={
        429: {"description": "this client has web.live.max_streams_per_client streams open"},
        503: {"description": "the server has web.live.max_streams streams open"},
    },
)
async def live(
    request: Request,
    ctx: Ctx,
    who: Annotated[Principal, Depends(principal)],
    host: Annotated[str | None, Query(max_length=128)] = None,
    view: Literal["overview", "host"] = "host",
) -> StreamingResponse:
    if host is not None:
        views.host_or_404(ctx, host)
    streams: LiveStreams = request.app.state.streams
    try:
        ticket = streams.open(who.client, who.session)
    except StreamRefused as exc:
        raise HTTPException(
            exc.status, exc.message, {"Retry-After": str(REFUSED_RETRY_S)}
        ) from None
    overview = view == "overview"
    sub = ctx.hub.subscribe(host, fleet.OVERVIEW_METRICS if overview else None)
    ticket.stop = lambda: ctx.hub.end(sub)

    async def stream() -> AsyncIterator[str]:
        cell_rules = _CellRules()
        try:
            yield f"retry: {RETRY_MS}\n\n"
            async for event in _events(request, who, sub, ctx.settings.live.recheck_seconds):
                if event is None:
                    yield ": keepalive\n\n"
                    continue
                body = _overview_event(ctx, event, cell_rules) if overview else event
                yield f"event: poll\ndata: {json.dumps(body, separators=(',', ':'))}\n\n"
        finally:
            ctx.hub.unsubscribe(sub)
            streams.close(ticket)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request, who: Principal, sub: Subscription, recheck_s: float
) -> AsyncIterator[dict[str, Any] | None]:
    """The subscription's polls, None when a keepalive is due; ends when the client leaves,
    the hub drops the subscriber, or the credential is no longer good."""
    loop = asyncio.get_running_loop()
    next_check = loop.time() + recheck_s
    last_sent = loop.time()
    while True:
        timeout = max(0.0, min(last_sent + KEEPALIVE_S, next_check) - loop.time())
        event: dict[str, Any] | None
        try:
            event = await asyncio.wait_for(sub.queue.get(), timeout)
            if event is None:  # dropped as too slow, ended on sign-out, or shutting down
                return
        except TimeoutError:
            event = None
        if loop.time() >= next_check:
            if not await still_valid(request, who):
                return
            next_check = loop.time() + recheck_s
        if event is None:
            if loop.time() - last_sent < KEEPALIVE_S:
                continue
            if await request.is_disconnected():
                return
        last_sent = loop.time()
        yield event


@router.get("/sparklines", summary="Per-minute CPU busy % of every host over the last hour")
async def sparklines(request: Request, ctx: Ctx) -> dict[str, Any]:
    now = ctx.clock()
    values = request.app.state.sparks.values(now)
    names = {h.name for h in ctx.inventory.hosts}
    return {
        "metric": fleet.SPARK_METRIC,
        "step": 60,
        "end": now - now % 60,
        "hosts": {h: v for h, v in values.items() if h in names},
    }
