"""Store tests run against the real embedded engine (chDB), never a mock.

chDB opens ONE data directory per process (a second path fails "EmbeddedServer already
initialized with path …", see store/db.py), so the session shares one directory and every
test gets its own fresh database in it, dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from store.db import connect
from store.migrations import migrate
from store.settings import RetentionSettings, StoreSettings
from store.writer import Writer


@pytest.fixture
def settings(chdb_dir: Path, tmp_path: Path) -> Iterator[StoreSettings]:
    s = StoreSettings(
        url=f"chdb://{chdb_dir}", database=f"t_{uuid.uuid4().hex[:12]}",
        spool_dir=tmp_path / "spool", flush_interval_s=0.05,
        retention=RetentionSettings(rollup_1d_days=3650, digest_1h_days=730),
    )
    yield s
    client = connect(s)
    client.command(f"DROP DATABASE IF EXISTS `{s.database}`")
    client.close()


@pytest.fixture
def client(settings: StoreSettings) -> Iterator[Client]:
    c = connect(settings)
    migrate(c, settings)
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _stop_writers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every Writer a test started, even when the test failed half-way: a worker
    thread still inside chDB when the interpreter exits crashes it (seen: free(): invalid
    size in the engine's shutdown)."""
    started: list[Writer] = []
    original = Writer.start

    def start(self: Writer) -> None:
        started.append(self)
        original(self)

    monkeypatch.setattr(Writer, "start", start)
    yield
    for writer in started:
        writer.close(5)
