"""The writer against the real engine; only the client's insert is made to fail."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import OperationalError
from store_helpers import T0, make_points, scalar

from poller.points import HostInfo, HostState, PollStatus
from store.db import connect
from store.records import AlertEvent
from store.settings import StoreSettings
from store.writer import Writer


class Faults:
    """Switches for the clients `connector` hands out."""

    def __init__(self) -> None:
        self.fail = False
        self.fail_after_insert = False
        self.connects = 0
        # inserts into `points` wait while the gate is closed; `held` says one is waiting
        self.gate = threading.Event()
        self.gate.set()
        self.held = threading.Event()

    def connector(self, settings: StoreSettings) -> Client:
        self.connects += 1
        return FlakyClient(connect(settings), self)  # type: ignore[return-value]


class FlakyClient:
    """A real client whose insert can fail, before or *after* the engine stored the rows."""

    def __init__(self, real: Client, faults: Faults) -> None:
        self.real = real
        self.faults = faults

    def insert(self, *args: Any, **kwargs: Any) -> Any:
        if self.faults.fail:
            raise OperationalError("connection refused (test)")
        if args and args[0] == "points" and not self.faults.gate.is_set():
            self.faults.held.set()
            self.faults.gate.wait()
        result = self.real.insert(*args, **kwargs)
        if self.faults.fail_after_insert:
            raise OperationalError("read timed out after the rows were sent (test)")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def flaky() -> Faults:
    return Faults()


def test_rows_from_many_submits_go_in_one_batch(client: Client, settings: StoreSettings) -> None:
    writer = Writer(settings.model_copy(update={"flush_interval_s": 30, "batch_rows": 500}))
    writer.start()
    points = make_points(10, 10, 5)  # 500 rows in 10 submits: the size limit triggers
    for host in range(10):
        writer.submit(points[host * 50:(host + 1) * 50])
    wait_for(lambda: writer.stats().rows_written == 500)
    assert writer.stats().batches_written == 1
    assert writer.close(5)
    assert scalar(client, "SELECT count() FROM points") == 500


def test_a_small_batch_is_flushed_on_the_interval(client: Client, settings: StoreSettings) -> None:
    writer = Writer(settings)
    writer.start()
    writer.submit(make_points(1, 1, 3))
    wait_for(lambda: writer.stats().rows_written == 3)
    writer.close(5)


def test_close_flushes_everything_queued(client: Client, settings: StoreSettings) -> None:
    writer = Writer(settings.model_copy(update={"flush_interval_s": 60}))
    writer.start()
    writer.submit(make_points(2, 3, 4))
    writer.submit_status(PollStatus("host-000", T0, HostState.TIMEOUT, "no answer", 5.0))
    writer.submit_host_info(HostInfo("host-000", T0, os_name="Debian", cpus=2))
    writer.submit_alert_event(AlertEvent(T0, "host-000", "down", "critical", "firing"))
    assert writer.close(10)
    for table, rows in (("points", 24), ("poll_status", 1), ("host_info", 1),
                        ("alert_events", 1)):
        assert scalar(client, f"SELECT count() FROM {table}") == rows, table


async def test_submit_from_the_event_loop_does_not_wait_for_inserts(
    client: Client, settings: StoreSettings, flaky: Faults
) -> None:
    writer = Writer(settings, connector=flaky.connector)
    writer.start()
    points = make_points(20, 10, 10)
    flaky.gate.clear()  # every insert of points now waits until the test opens the gate
    guard = threading.Timer(60, flaky.gate.set)  # a submit that waits fails below, not hangs
    guard.start()
    try:
        writer.submit(points[:100])
        assert await asyncio.to_thread(flaky.held.wait, 60), "the writer never inserted"
        for i in range(100, len(points), 100):  # while that insert cannot finish
            writer.submit(points[i:i + 100])
            await asyncio.sleep(0)
        assert flaky.gate.is_set() is False and writer.stats().rows_written == 0
    finally:
        flaky.gate.set()
        guard.cancel()
    assert writer.close(10)
    assert writer.stats().rows_written == 2_000


def test_failed_inserts_spool_and_replay_in_order(
    client: Client, settings: StoreSettings, flaky: Faults
) -> None:
    writer = Writer(settings, connector=flaky.connector)
    writer.start()
    flaky.fail = True
    for seed in range(3):
        writer.submit(make_points(1, 1, 10, seed=seed, start=T0 + seed * 100))
        wait_for(lambda s=seed: writer.stats().spooled_batches == s + 1)
    assert scalar(client, "SELECT count() FROM points") == 0
    flaky.fail = False
    wait_for(lambda: writer.stats().spooled_batches == 0)
    assert writer.stats().replayed_batches == 3
    assert writer.close(5)
    assert scalar(client, "SELECT count() FROM points") == 30
    # replayed oldest first: the parts were written in timestamp order
    order = client.query("SELECT min(ts) FROM points GROUP BY _part ORDER BY _part").result_rows
    assert [r[0] for r in order] == sorted(r[0] for r in order)


def test_a_replayed_batch_that_had_landed_is_not_stored_twice(
    client: Client, settings: StoreSettings, flaky: Faults
) -> None:
    writer = Writer(settings, connector=flaky.connector)
    writer.start()
    flaky.fail_after_insert = True  # the engine stores the rows, then the client errors
    writer.submit(make_points(2, 2, 30))
    writer.submit_status(PollStatus("host-000", T0, HostState.OK, "", 0.1))
    wait_for(lambda: writer.stats().spooled_batches == 1)
    assert scalar(client, "SELECT count() FROM points") == 120  # landed once already
    flaky.fail_after_insert = False
    wait_for(lambda: writer.stats().replayed_batches == 1)
    writer.close(5)
    assert scalar(client, "SELECT count() FROM points") == 120
    assert scalar(client, "SELECT count() FROM poll_status") == 1
    # the views' rows were not doubled either
    assert scalar(client, "SELECT sum(count) FROM points_5m") == 120
    assert scalar(client, "SELECT sum(count) FROM points_1h") == 120
    assert scalar(client, "SELECT sum(count) FROM points_1d") == 120  # a view of a view
    assert scalar(client, "SELECT count() FROM latest FINAL") == 4


def test_a_new_writer_replays_the_spool_left_on_disk(
    client: Client, settings: StoreSettings, flaky: Faults
) -> None:
    flaky.fail = True
    first = Writer(settings, connector=flaky.connector)
    first.start()
    first.submit(make_points(3, 1, 10))
    assert first.close(5)
    assert first.stats().spooled_batches == 1
    second = Writer(settings)
    second.start()
    wait_for(lambda: second.stats().replayed_batches == 1)
    second.close(5)
    assert scalar(client, "SELECT count() FROM points") == 30


def _accounted(writer: Writer) -> int:
    stats = writer.stats()
    return 300 * stats.spooled_batches + stats.dropped_rows


def test_an_overfull_spool_drops_the_oldest_batches_and_counts_them(
    client: Client, settings: StoreSettings, flaky: Faults
) -> None:
    flaky.fail = True
    small = settings.model_copy(update={"spool_max_bytes": 6_000})
    writer = Writer(small, connector=flaky.connector)
    writer.start()
    for seed in range(6):  # each batch is ~2 KB compressed
        writer.submit(make_points(1, 1, 300, seed=seed, start=T0 + seed * 10_000))
        wait_for(lambda n=seed + 1: _accounted(writer) == 300 * n)
    stats = writer.stats()
    assert stats.spooled_bytes <= 6_000 and stats.dropped_rows == 300 * (6 - stats.spooled_batches)
    flaky.fail = False
    wait_for(lambda: writer.stats().spooled_batches == 0)
    writer.close(5)
    newest = scalar(client, "SELECT max(ts) FROM points").timestamp()  # type: ignore[attr-defined]
    assert newest == T0 + 5 * 10_000 + 299 * 10  # the newest batch survived


def test_submit_drops_and_counts_beyond_the_queue_bound(settings: StoreSettings) -> None:
    writer = Writer(settings.model_copy(update={"max_queue_rows": 100}))
    writer.submit(make_points(1, 1, 80))
    writer.submit(make_points(1, 1, 80))  # not started: nothing drains the queue
    assert writer.stats().queued_rows == 80
    assert writer.stats().dropped_rows == 80
    writer.close(5)
