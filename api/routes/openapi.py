"""`GET /openapi.json`: the API's schema, behind the same sign-in as `/docs` and the API
itself (FastAPI's own route is public, and the schema maps every endpoint and parameter)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from api.deps import principal

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json", name="openapi", dependencies=[Depends(principal)])
async def openapi(request: Request) -> dict[str, Any]:
    schema: dict[str, Any] = request.app.openapi()
    return schema
