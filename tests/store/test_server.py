"""The same schema, writer and queries against a ClickHouse server, when one is given."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0, make_points

from store import queries
from store.db import connect
from store.migrations import migrate
from store.settings import StoreSettings
from store.writer import Writer

SERVER_URL = os.environ.get("SSHMON_TEST_CLICKHOUSE_URL", "")
pytestmark = pytest.mark.skipif(not SERVER_URL, reason="SSHMON_TEST_CLICKHOUSE_URL is not set")


@pytest.fixture
def server_settings(tmp_path: object) -> Iterator[StoreSettings]:
    s = StoreSettings(url=SERVER_URL, database=f"sshmon_test_{uuid.uuid4().hex[:8]}",
                      spool_dir=tmp_path / "spool", flush_interval_s=0.05)  # type: ignore[operator]
    yield s
    c = connect(s)
    c.command(f"DROP DATABASE IF EXISTS `{s.database}`")
    c.close()


def test_server_migrates_twice_and_serves_what_the_writer_wrote(
    server_settings: StoreSettings,
) -> None:
    client: Client = connect(server_settings)
    migrate(client, server_settings)
    assert migrate(client, server_settings).applied == []
    writer = Writer(server_settings)
    writer.start()
    writer.submit(make_points(3, 2, 30))
    assert writer.close(10)
    assert len(queries.latest_all(client)) == 6
    series = queries.series(client, "host-000", "m0", None, T0, T0 + 300)
    assert sum(1 for _ in series.points) == 30
