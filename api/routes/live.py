"""Live updates over Server-Sent Events, and the overview's sparklines.

`view=overview` streams the cells each poll changes (computed by fleet.row_values, as the
server-rendered table is); `host=NAME` streams that host's points for the charts. A
comment line every 15 s keeps proxies from closing an idle stream and lets us notice a
client that went away.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from api import fleet, views
from api.deps import Ctx, principal

router = APIRouter(prefix="/api/v1", tags=["live"], dependencies=[Depends(principal)])
KEEPALIVE_S = 15.0
RETRY_MS = 2000  # how soon EventSource reconnects after the stream ends


def _overview_event(event: dict[str, Any]) -> dict[str, Any]:
    cells: dict[str, Any] = dict.fromkeys(
        ("cpu", "mem", "fs", "load", "net_in", "net_out", "uptime")
    )
    cells.update(fleet.row_values((m, d, v) for m, d, _, v in event["points"]))
    return {k: event[k] for k in ("host", "ts", "state", "reason")} | {"cells": cells}


@router.get("/live", summary="Server-Sent Events: one `poll` event per poll")
async def live(
    request: Request,
    ctx: Ctx,
    host: Annotated[str | None, Query(max_length=128)] = None,
    view: Literal["overview", "host"] = "host",
) -> StreamingResponse:
    if host is not None:
        views.host_or_404(ctx, host)
    overview = view == "overview"
    sub = ctx.hub.subscribe(host, fleet.OVERVIEW_METRICS if overview else None)

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keepalive\n\n"
                    continue
                if event is None:  # dropped as too slow, or shutting down
                    return
                body = _overview_event(event) if overview else event
                yield f"event: poll\ndata: {json.dumps(body, separators=(',', ':'))}\n\n"
        finally:
            ctx.hub.unsubscribe(sub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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
