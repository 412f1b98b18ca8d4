"""`GET /metrics` in the Prometheus text format (see api/metrics.py for what is in it)."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from api import metrics
from api.deps import Ctx, principal
from store import queries

router = APIRouter(tags=["metrics"], dependencies=[Depends(principal)])
CACHE_S = 5.0  # several Prometheus replicas scraping at once share one rendering


def _expire(cache: dict[str, object], body: bytes) -> None:
    """Drop the shared body once it can no longer be served: it is ~30 KB a host, and
    between two scrapes nothing reads it (issue 15)."""
    if cache.get("body") is body:
        cache.clear()


@router.get("/metrics", response_class=Response, summary="Prometheus exposition")
async def metrics_text(request: Request, ctx: Ctx) -> Response:
    cache = request.app.state.prom_cache
    started = time.monotonic()
    if cache.get("at", -CACHE_S) + CACHE_S > started:
        return Response(cache["body"], media_type=CONTENT_TYPE_PLAIN_0_0_4)
    intervals = {h.name: h.interval for h in ctx.inventory.hosts}
    published = dict(ctx.hub.readings)
    # hosts polled by `sshmon run --workers` processes come printed by their worker
    remote = await ctx.remote_exposition() if ctx.remote_exposition else {}
    need_store = any(h not in published and h not in remote for h in intervals)
    latest = await ctx.queries.run(queries.latest_all) if need_store else []
    own = list(ctx.self_metrics())
    # rendering 2,000 hosts' samples takes a while: off the event loop
    renderer: metrics.MetricsRenderer = request.app.state.prom_renderer
    body = await asyncio.to_thread(
        renderer.render, own, published, latest, intervals, ctx.clock(), remote
    )
    cache.update(at=started, body=body)
    loop = asyncio.get_running_loop()
    loop.call_later(CACHE_S, _expire, cache, body)
    # then (the expiry's handle, and with it the body, gone) what the rendering and the
    # response freed goes back to the kernel, in a thread (api/memtrim.py)
    loop.call_later(CACHE_S, loop.run_in_executor, None, request.app.state.prom_release)
    # already UTF-8: the response sends it as it is, no second copy of the body
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
