"""The optional access log: off by default; on, one JSON object per request, secrets out."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from fleetdata import Fleet

from api.app import create_app
from api.context import AppContext, QueryPool, WebSettings


def _ctx(fleet: Fleet, pool: QueryPool, tmp_path: Path, **web: Any) -> AppContext:
    return AppContext(WebSettings(**web), pool, fleet.inventory, data_dir=tmp_path)


async def _get(app: object, path: str) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://127.0.0.1",
    ) as client:
        return await client.get(path, headers={"User-Agent": "curl/8"})


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "sshmon.access"]


async def test_off_by_default(
    fleet: Fleet, pool: QueryPool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "sshmon.access")
    await _get(create_app(_ctx(fleet, pool, tmp_path)), "/healthz")
    assert _lines(caplog) == []


async def test_one_json_line_per_request(
    fleet: Fleet, pool: QueryPool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "sshmon.access")
    app = create_app(_ctx(fleet, pool, tmp_path, access_log=True))
    await _get(app, "/healthz?token=s3cret&x=1")
    await _get(app, "/api/v1/hosts/nobody")
    ok, missing = _lines(caplog)
    assert ok["method"] == "GET" and ok["path"] == "/healthz" and ok["status"] == 200
    assert ok["query"] == "token=%2A%2A%2A&x=1" and "s3cret" not in json.dumps(ok)
    assert ok["user_agent"] == "curl/8" and ok["bytes"] > 0
    assert isinstance(ok["duration_ms"], float)
    assert missing["status"] == 404
