"""An export longer than one response comes in pages, each naming the next (a cursor)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fleetdata import Fleet

from api.app import create_app
from api.context import AppContext, QueryPool, WebSettings

CAP = 10  # web.max_points, small so a 1-hour export takes several pages


def _ctx(fleet: Fleet, pool: QueryPool, tmp_path: Path, **web: Any) -> AppContext:
    return AppContext(WebSettings(**web), pool, fleet.inventory, data_dir=tmp_path)


@pytest.fixture
async def small(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_ctx(fleet, pool, tmp_path, max_points=CAP))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client,
    ):
        yield client


async def _pages(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    pages = [(await client.get(url, params=params)).json()]
    while pages[-1]["next"] is not None:
        assert len(pages) < 50, "the cursor must make progress"
        pages.append((await client.get(pages[-1]["next"])).json())
    return pages


async def test_pages_cover_the_range_once_in_order(small: httpx.AsyncClient, fleet: Fleet) -> None:
    now = int(fleet.now)
    start, end = now - 3600 - now % 60, now - now % 60
    params = {"host": "web-1", "metric": "load1", "from": start, "to": end, "step": 60}
    pages = await _pages(small, "/api/v1/series", **params)
    assert len(pages) == 7  # 60 buckets of 60 s, at most 10 a page
    assert all(len(p["points"]) <= CAP for p in pages)
    stamps = [point[0] for p in pages for point in p["points"]]
    assert stamps == sorted(set(stamps)), "no bucket twice, none out of order"
    assert stamps[0] == start and stamps[-1] == end - 60
    assert [p["from"] for p in pages[1:]] == [p["to"] for p in pages[:-1]]


async def test_csv_pages_link_to_the_next(small: httpx.AsyncClient, fleet: Fleet) -> None:
    params = {"host": "web-1", "metric": "load1", "range": "1h", "step": 60, "format": "csv"}
    r = await small.get("/api/v1/series", params=params)
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.text)))
    assert len(rows) - 1 <= CAP
    link = r.headers["link"]
    assert link.startswith("</api/v1/series?") and link.endswith('>; rel="next"')
    assert "format=csv" in link and "range=" not in link  # absolute times: the clock moves
    nxt = await small.get(link[1 : link.index(">")])
    assert nxt.status_code == 200 and nxt.headers["content-type"].startswith("text/csv")


async def test_one_page_has_no_next(small: httpx.AsyncClient) -> None:
    params = {"host": "web-1", "metric": "load1", "range": "5m", "step": 60}
    assert (await small.get("/api/v1/series", params=params)).json()["next"] is None
