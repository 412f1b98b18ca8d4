"""The metric catalog: every stored metric with its unit, kind and device label."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api.deps import principal
from poller.catalog import METRICS

router = APIRouter(prefix="/api/v1", tags=["metrics"], dependencies=[Depends(principal)])


@router.get("/metrics", summary="Metric catalog")
async def catalog() -> list[dict[str, Any]]:
    return [
        {"name": s.name, "unit": s.unit, "kind": s.kind, "dev": s.dev, "description": s.description}
        for s in METRICS.values()
    ]
