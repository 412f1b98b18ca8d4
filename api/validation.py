"""422 answers that can always be written: FastAPI's default handler echoes the offending
`input` back, and Python's JSON reader accepts NaN and Infinity, which its writer (strict
JSON) then refuses, so `"ends_at": NaN` turned a validation error into a 500."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": still says what was sent
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # registered for this type only
    return JSONResponse({"detail": _finite(jsonable_encoder(exc.errors()))}, 422)
