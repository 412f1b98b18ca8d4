"""Batching writer: the poll path hands rows over and never waits on the database.

Rows from all hosts are gathered and inserted in one request per table per batch on a
worker thread, flushed when `batch_rows` are queued or every `flush_interval_s` (10 s: fewer,
bigger parts keep background merges down, see store/settings.py). Measured
in chDB 26.9 with the views attached: one 62-row insert per host manages ~33 inserts/s,
while 16k-row batches insert in ~50 ms and 50k-row batches in ~120 ms (~400k rows/s).

A failed insert sends the batch to the on-disk spool; spooled batches are replayed oldest
first before any new batch. Each batch carries a de-duplication token (per table:
`<token>-<table>`), so a batch whose insert reached the engine before the error is not
stored twice when it is replayed (every table has a dedup window, see store/db.py).
The window is the last 1,000 blocks per table (~30 min of 2 s flushes); a batch whose
fate is unknown is replayed on the very next successful insert, well inside it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clickhouse_connect.driver.client import Client

from poller.catalog import METRICS, MetricSpec
from poller.points import HostInfo, Point, PollStatus
from store import records
from store.db import connect
from store.errors import StoreDataError, StoreError, translated
from store.migrations import migrate
from store.settings import StoreSettings
from store.spool import Batch, Spool

log = logging.getLogger(__name__)
Connector = Callable[[StoreSettings], Client]


@dataclass(frozen=True)
class WriterStats:
    queued_rows: int
    batches_written: int
    rows_written: int
    last_insert_latency_s: float | None
    last_batch_rows: int
    spooled_batches: int
    spooled_bytes: int
    dropped_rows: int
    failed_inserts: int
    replayed_batches: int


@dataclass
class _Counters:
    batches_written: int = 0
    rows_written: int = 0
    last_insert_latency_s: float | None = None
    last_batch_rows: int = 0
    failed_inserts: int = 0
    replayed_batches: int = 0
    dropped_queue_rows: int = 0
    dropped_bad_rows: int = 0
    spooled_batches: int = 0
    spooled_bytes: int = 0


class _Queue:
    """Rows waiting for the next batch; every method holds the lock only briefly."""

    def __init__(self, max_rows: int) -> None:
        self.cond = threading.Condition()
        self.max_rows = max_rows
        self.points: list[Point] = []
        self.other: dict[str, list[records.Row]] = {}
        self.rows = 0
        self.dropped = 0

    def add(self, points: Sequence[Point] = (), table: str = "", row: records.Row | None = None,
            wake_at: int = 0) -> None:
        with self.cond:
            n = len(points) + (row is not None)
            if self.rows + n > self.max_rows:
                self.dropped += n
                return
            self.points.extend(points)
            if row is not None:
                self.other.setdefault(table, []).append(row)
            self.rows += n
            if wake_at and self.rows >= wake_at:
                self.cond.notify()

    def take(self) -> tuple[list[Point], dict[str, list[records.Row]]]:
        with self.cond:
            taken = self.points, self.other
            self.points, self.other, self.rows = [], {}, 0
            return taken


class Writer:
    """See the module docstring. `connector` exists for tests that make the client fail;
    `catalog` declares each metric's precision (an empty one stores every bit)."""

    def __init__(self, settings: StoreSettings, *, clock: Callable[[], float] = time.time,
                 connector: Connector = connect,
                 catalog: Mapping[str, MetricSpec] = METRICS) -> None:
        self.settings = settings
        self._clock = clock
        self._connector = connector
        self._queue = _Queue(settings.max_queue_rows)
        self._spool = Spool(settings.resolved_spool_dir(), settings.spool_max_bytes)
        self._counters = _Counters()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: Client | None = None
        # each metric's values are rounded as the catalog declares (poller/precision.py)
        self._rounders = records.rounders(catalog)

    # -- called from the event loop or any thread; none of these block on the database --
    def start(self) -> None:
        """Start the worker thread; it connects (and migrates) before its first insert."""
        if self._thread is not None:
            return
        self._check_spool()
        self._refresh_spool_counters()
        self._thread = threading.Thread(target=self._run, name="sshmon-store-writer",
                                        daemon=True)
        self._thread.start()

    def submit(self, points: Sequence[Point]) -> None:
        self._queue.add(points, wake_at=self.settings.batch_rows)

    def submit_status(self, status: PollStatus) -> None:
        self._queue.add(table="poll_status", row=records.status_row(status))

    def submit_host_info(self, info: HostInfo) -> None:
        self._queue.add(table="host_info", row=records.host_info_row(info))

    def submit_alert_event(self, event: records.AlertEvent) -> None:
        self._queue.add(table="alert_events", row=records.alert_row(event))

    def stats(self) -> WriterStats:
        c = self._counters
        return WriterStats(
            queued_rows=self._queue.rows, batches_written=c.batches_written,
            rows_written=c.rows_written, last_insert_latency_s=c.last_insert_latency_s,
            last_batch_rows=c.last_batch_rows, spooled_batches=c.spooled_batches,
            spooled_bytes=c.spooled_bytes,
            dropped_rows=self._queue.dropped + c.dropped_bad_rows + self._spool.dropped_rows,
            failed_inserts=c.failed_inserts, replayed_batches=c.replayed_batches,
        )

    def close(self, timeout: float = 10.0) -> bool:
        """Flush what is queued (to the store, or to the spool) and stop; False on timeout."""
        self._stop.set()
        with self._queue.cond:
            self._queue.cond.notify()
        if self._thread is None:
            self._flush()  # never started: still keep the rows, in the spool at worst
            self._close_client()
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- worker thread --
    def _run(self) -> None:
        interval = self.settings.flush_interval_s
        due = time.monotonic() + interval
        while True:
            with self._queue.cond:
                self._queue.cond.wait_for(
                    lambda: self._stop.is_set() or self._queue.rows >= self.settings.batch_rows,
                    timeout=max(0.0, due - time.monotonic()),
                )
            stopping = self._stop.is_set()
            if stopping or self._queue.rows >= self.settings.batch_rows \
                    or time.monotonic() >= due:
                try:
                    self._flush()
                except Exception:  # a bug or a full disk must not end the writer silently
                    log.exception("store writer flush failed")
                due = time.monotonic() + interval
            if stopping:
                break
        self._close_client()

    def _flush(self) -> None:
        points, other = self._queue.take()
        tables: dict[str, tuple[tuple[str, ...], list[list[Any]]]] = {}
        if points:
            tables["points"] = (records.POINT_COLUMNS,
                                records.point_columns(points, self._rounders))
        for table, rows in other.items():
            tables[table] = (_COLUMNS[table], [list(c) for c in zip(*rows, strict=True)])
        batch = Batch(uuid.uuid4().hex, tables) if tables else None
        try:
            self._deliver(batch)
        finally:
            self._refresh_spool_counters()

    def _deliver(self, batch: Batch | None) -> None:
        failing = self._replay_spool()
        if failing is not None:
            if batch is not None:  # keep the order: behind the batches already waiting
                self._to_spool(batch, f"store still failing ({_short(failing)})")
            return
        if batch is None:
            return
        try:
            self._insert(batch)
        except StoreDataError as exc:  # only bad rows are dropped; anything else may heal
            self._counters.dropped_bad_rows += batch.rows
            log.error("store rejected a batch of %d rows, dropped: %s", batch.rows, _short(exc))
        except StoreError as exc:
            self._to_spool(batch, f"insert failed ({_short(exc)})")

    def _to_spool(self, batch: Batch, why: str) -> None:
        """Spool a batch the store did not take, and say in ONE line what became of it."""
        try:
            self._spool.put(batch)
        except OSError as exc:  # disk full or read-only: these rows are lost, say so
            self._counters.dropped_bad_rows += batch.rows
            log.error("%s and the spool cannot take it (%s): batch of %d rows dropped",
                      why, exc, batch.rows)
            return
        waiting, size = self._spool.size()
        log.warning("%s: batch of %d rows spooled (%d batches, %d bytes waiting in %s)",
                    why, batch.rows, waiting, size, self._spool.directory)

    def _check_spool(self) -> None:
        """At start: remove partial writes a crash left, say what waits to be replayed."""
        removed = self._spool.clean_partial()
        if removed:
            log.warning("removed %d partial spool file(s) left by an interrupted write in %s",
                        removed, self._spool.directory)
        entries = self._spool.entries()
        if entries:
            log.info("%d spooled batches (%d rows) from before wait in %s; replaying them first",
                     len(entries), sum(e.rows for e in entries), self._spool.directory)

    def _replay_spool(self) -> StoreError | None:
        """Insert spooled batches oldest first; the error while the store is still failing."""
        replayed_batches = replayed_rows = 0
        failing: StoreError | None = None
        for entry in self._spool.entries():
            try:
                batch = self._spool.load(entry)
            except (OSError, ValueError) as exc:  # torn or foreign file: it cannot get better
                log.error("unreadable spool file %s dropped: %s", entry.path, exc)
                self._spool.discard(entry)
                continue
            try:
                self._insert(batch)
            except StoreDataError as exc:
                log.error("store rejected spooled batch %s, dropped: %s", entry.path,
                          _short(exc))
                self._spool.discard(entry)
                continue
            except StoreError as exc:
                failing = exc
                break
            self._spool.remove(entry)
            self._counters.replayed_batches += 1
            replayed_batches += 1
            replayed_rows += batch.rows
        if replayed_batches:
            left = len(self._spool.entries())
            log.info("replayed %d spooled batches (%d rows) from %s; %d left", replayed_batches,
                     replayed_rows, self._spool.directory, left)
        return failing

    def _insert(self, batch: Batch) -> None:
        started = time.perf_counter()
        try:
            client = self._ensure_client()
            with translated():
                for table, (columns, data) in batch.tables.items():
                    client.insert(
                        table, records.for_insert(table, data), column_names=columns,
                        column_oriented=True,
                        settings={"insert_deduplication_token": f"{batch.token}-{table}"},
                    )
        except StoreError:
            self._counters.failed_inserts += 1
            self._close_client()  # reconnect next time: the old connection may be broken
            raise
        c = self._counters
        c.last_insert_latency_s = time.perf_counter() - started
        c.batches_written += 1
        c.rows_written += batch.rows
        c.last_batch_rows = batch.rows

    def _ensure_client(self) -> Client:
        if self._client is None:
            with translated():
                client = self._connector(self.settings)
            migrate(client, self.settings, clock=self._clock)
            self._client = client
        return self._client

    def _close_client(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception as exc:  # closing a broken connection must not stop the writer
                log.debug("closing store client: %s", exc)
            self._client = None

    def _refresh_spool_counters(self) -> None:
        batches, size = self._spool.size()
        self._counters.spooled_batches = batches
        self._counters.spooled_bytes = size


def _short(exc: BaseException, limit: int = 300) -> str:
    """The first line of an engine error: they run to kilobytes with the engine's context."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


_COLUMNS = {
    "poll_status": records.STATUS_COLUMNS,
    "host_info": records.HOST_INFO_COLUMNS,
    "alert_events": records.ALERT_COLUMNS,
}
