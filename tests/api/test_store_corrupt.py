"""A stored part whose files are damaged on disk: the chart endpoints answer 503 naming the
part and what is wrong, not a 500 with a traceback. Real engine, real files overwritten."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fleetdata import Fleet

from api.app import create_app
from api.context import AppContext, QueryPool, WebSettings
from store.db import connect
from store.migrations import migrate
from store.settings import StoreSettings

ROWS = 324


@pytest.fixture
def damaged(fleet: Fleet, chdb_dir: Path, tmp_path: Path) -> Iterator[StoreSettings]:
    """Its own database in the session's chDB directory, one points part, bytes overwritten
    inside the value column's compressed block (the file keeps its size, so only a read
    notices)."""
    settings = StoreSettings(url=f"chdb://{chdb_dir}", database=f"bad_{uuid.uuid4().hex[:10]}",
                             spool_dir=tmp_path / "spool")
    client = connect(settings)
    try:
        migrate(client, settings)
        now = int(time.time())
        client.insert("points", [["load1", "web-1", "", now - i, float(i)] for i in range(ROWS)],
                      column_names=["metric", "host", "dev", "ts", "value"])
        (path,) = client.query(
            "SELECT path FROM system.parts WHERE database = currentDatabase() "
            "AND table = 'points' AND active"
        ).result_rows[0]
        data = Path(str(path)) / "data.bin"
        size = data.stat().st_size
        with data.open("r+b") as f:
            f.seek(size - 200)  # the last column written (value)
            f.write(b"\xff" * 64)
        yield settings
    finally:
        client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
        client.close()


async def test_a_damaged_part_is_a_503_naming_the_part(
    damaged: StoreSettings, fleet: Fleet, tmp_path: Path
) -> None:
    pool = QueryPool(lambda: connect(damaged), threads=1)
    ctx = AppContext(settings=WebSettings(), queries=pool, inventory=fleet.inventory,
                     data_dir=tmp_path)
    app = create_app(ctx)
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as c:
            for path, params in (
                ("/api/v1/series", {"host": "web-1", "metric": "load1", "range": "1h"}),
                ("/api/v1/hosts/web-1/charts", {"range": "1h"}),  # the host page's charts
            ):
                r = await c.get(path, params=params)
                assert r.status_code == 503, r.text
                detail = r.json()["detail"]
                assert detail.startswith("the store cannot read part ") and "points" in detail
                assert "Checksum doesn't match" in detail and "\n" not in detail
    finally:
        pool.close()
