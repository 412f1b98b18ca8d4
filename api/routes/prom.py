"""`GET /metrics` in the Prometheus text format (see api/promtext.py for what is in it)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse

from api import promtext
from api.deps import Ctx, principal
from store import queries

router = APIRouter(tags=["metrics"], dependencies=[Depends(principal)])
CACHE_S = 5.0  # several Prometheus replicas scraping at once share one rendering
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus exposition")
async def metrics(request: Request, ctx: Ctx) -> PlainTextResponse:
    cache = request.app.state.prom_cache
    now = time.monotonic()
    if cache.get("at", -CACHE_S) + CACHE_S > now:
        return PlainTextResponse(cache["body"], media_type=CONTENT_TYPE)
    hosts = [h.name for h in ctx.inventory.hosts]
    readings = dict(ctx.hub.readings)
    need_store = any(h not in readings for h in hosts)
    latest = await ctx.queries.run(queries.latest_all) if need_store else []
    # rendering 2,000 hosts' samples takes a while: off the event loop
    host_part = await asyncio.to_thread(promtext.host_samples, readings, latest, hosts)
    body = await asyncio.to_thread(promtext.render, ctx.self_metrics(), host_part)
    cache.update(at=now, body=body)
    return PlainTextResponse(body, media_type=CONTENT_TYPE)
