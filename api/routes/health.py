"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Ctx
from store import queries
from store.errors import StoreError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store answers and the schema is in place")
async def readyz(ctx: Ctx) -> JSONResponse:
    if not ctx.ready():
        return JSONResponse({"status": "starting"}, 503)
    try:
        # a primary-key lookup on the `latest` table: touches our schema, costs ~nothing
        await ctx.queries.run(queries.latest_host, "")
    except StoreError as exc:
        return JSONResponse({"status": "store unavailable", "error": str(exc)}, 503)
    return JSONResponse({"status": "ready"})
