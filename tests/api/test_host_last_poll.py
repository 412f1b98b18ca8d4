"""A host that never answered says "Last poll: never", not "just now" after a failed try."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fleetdata import Fleet

from api.app import create_app
from api.context import AppContext, QueryPool, WebSettings
from api.views import HostDetail
from poller.inventory import Host, Inventory
from store.rows import LatestRow, PollStatusRow

NEW = Host(name="new-1", address="10.0.0.7")


def test_a_failed_poll_is_not_data() -> None:
    failed = PollStatusRow("new-1", 100.0, "unreachable", "refused", 0.1, ())
    detail = HostDetail(NEW, None, failed, [], "unreachable", "refused")
    assert detail.last_data is None
    assert detail.as_json()["last_data"] is None


def test_the_last_data_is_the_newest_reading() -> None:
    latest = [LatestRow("new-1", "load1", "", 90.0, 1.0), LatestRow("new-1", "df", "/", 40.0, 2)]
    assert HostDetail(NEW, None, None, latest, "ok", "").last_data == 90.0


@pytest.fixture
async def client(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # the shared fleet plus one host the store has nothing for
    inventory = Inventory(path=fleet.inventory.path, hosts=(*fleet.inventory.hosts, NEW))
    ctx = AppContext(settings=WebSettings(), queries=pool, inventory=inventory, data_dir=tmp_path)
    app = create_app(ctx)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as c,
    ):
        yield c


async def test_host_page_of_a_never_reached_host_says_never(client: httpx.AsyncClient) -> None:
    html = (await client.get("/hosts/new-1")).text
    assert '<dd id="lastpoll" data-ts="">never</dd>' in html
