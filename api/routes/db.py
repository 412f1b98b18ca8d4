"""The store's own status (`sshmon db status` over HTTP).

The embedded store can be opened by one process only; while `sshmon run` holds it, the CLI
asks the running process here instead. Read-only, so a viewer may see it; the store URL
comes with its password removed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from api.deps import Ctx, principal
from store.errors import StoreError

router = APIRouter(prefix="/api/v1/db", tags=["store"], dependencies=[Depends(principal)])


@router.get("/status", summary="Tables, rows, bytes on disk and time span per tier")
async def db_status(ctx: Ctx) -> dict[str, Any]:
    from store.status import collect

    settings = ctx.database
    if settings is None:
        raise HTTPException(404, "this process serves no store status")
    try:
        status = await ctx.queries.run(collect, settings)
    except StoreError as exc:
        raise HTTPException(503, f"store unavailable: {exc}") from None
    return {**asdict(status), "total_bytes": status.total_bytes}
