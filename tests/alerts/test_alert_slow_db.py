"""A slow alerts database (PostgreSQL across a network) never delays polls (issue 9)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from alerts_helpers import failed, host, ok, pt
from sqlalchemy import event

from alerts import engine as engine_mod
from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.engine import AlertEngine
from alerts.persist import StateStore

DB_DELAY_S = 0.3
POLL_EVERY_S = 0.02


async def test_polls_keep_their_schedule_while_every_query_takes_300_ms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # silences, windows and acks written by other processes are re-read every 0.2 s here
    monkeypatch.setattr(engine_mod, "RELOAD_EVERY_S", 0.2)
    db = AlertsDB(f"sqlite:///{tmp_path / 'alerts.db'}")
    queries = 0

    def slow(*_: Any) -> None:
        nonlocal queries
        queries += 1
        time.sleep(DB_DELAY_S)  # the hook runs in whatever thread issued the query

    event.listen(db.engine, "before_cursor_execute", slow)
    config = AlertsConfig.model_validate(
        {
            "defaults": False,
            "routes": [{"name": "ops", "urls": ["json://127.0.0.1:9/x"]}],
            "rules": [
                {"name": "host_down", "poll": "down", "failures": 1},
                {"name": "mem", "metric": "mem_used_percent", "warning": 80},
            ],
        }
    )
    engine = AlertEngine(config, [host("web-1"), host("db-1")], db=db)
    engine.load(time.time())
    ticker = asyncio.create_task(engine.run(interval=0.05))
    late: list[float] = []
    try:
        start = time.monotonic()
        for n in range(1, 100):  # 2 s of polls; each fires or resolves something
            now = time.time()
            engine.observe(failed("db-1", now) if n % 2 else ok("db-1", now), [], now)
            engine.observe(ok("web-1", now), [pt("web-1", "mem_used_percent", 90, now)], now)
            if n == 10:
                engine.acknowledge("mem", "web-1", "", now, author="t")
            due = start + n * POLL_EVERY_S
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            late.append(time.monotonic() - due)
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    assert queries >= 4  # the database really was used (and slow) meanwhile
    assert max(late) < DB_DELAY_S / 2, f"a poll waited {max(late):.3f} s"
    event.remove(db.engine, "before_cursor_execute", slow)
    saved = StateStore(db).load()
    assert saved[("mem", "web-1", "")].acked  # the acknowledgement still reached the database
    db.close()
