"""The metric catalog: every stored metric with its unit, kind, device label and precision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from api.deps import principal
from poller.catalog import METRICS

router = APIRouter(prefix="/api/v1", tags=["metrics"], dependencies=[Depends(principal)])


@router.get("/metrics", summary="Metric catalog")
async def catalog() -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "unit": s.unit,
            "kind": s.kind,
            "dev": s.dev,
            "description": s.description,
            "precision": str(s.precision),  # as stored: exact, N significant digits, N decimals
            "slow": s.slow,  # measured every `slow_every` polls (df), stored only then
        }
        for s in METRICS.values()
    ]
