"""API tests run the real app on the real embedded store, filled by the real writer.

One fleet is written once per session (writing is the slow part, see fleetdata.py); every
test gets a fresh app and context around it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fleetdata import Fleet, fleet

from api.app import create_app
from api.context import AppContext, AuthSettings, QueryPool, WebSettings
from store.db import connect

__all__ = ["fleet"]  # the session fixture, re-exported so pytest finds it here


@pytest.fixture(scope="session")
def pool(fleet: Fleet) -> Iterator[QueryPool]:
    """One pool for the session: opening a store client per thread per test costs ~1 s."""
    p = QueryPool(lambda: connect(fleet.settings), threads=4)
    yield p
    p.close()


def make_ctx(fleet: Fleet, pool: QueryPool, tmp_path: Path, **web: object) -> AppContext:
    settings = WebSettings(**web)  # type: ignore[arg-type]
    return AppContext(
        settings=settings,
        queries=pool,
        inventory=fleet.inventory,
        data_dir=tmp_path,
        clock=fleet.clock(),  # the fleet's fixed "now", whatever the wall clock says
    )


@pytest.fixture
def ctx(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> AppContext:
    return make_ctx(fleet, pool, tmp_path)


@pytest.fixture
async def client(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c


@pytest.fixture
def auth_ctx(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> AppContext:
    return make_ctx(fleet, pool, tmp_path, host="0.0.0.0", auth=AuthSettings(enabled=True))
