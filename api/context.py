"""Everything the web app needs from the rest of sshmon, built once by `sshmon run`/`serve`.

The app never reaches for globals: routers get this context through `api.deps`, so tests
build one around a throw-away store and inventory, and the composition decides what the
live hub and the health hooks are wired to.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from clickhouse_connect.driver.client import Client
from prometheus_client.metrics_core import Metric

from api.hub import Hub
from api.websettings import LOOPBACK, AuthSettings, WebSettings
from poller.collectors.status import CollectorStatus
from poller.inventory import Inventory

if TYPE_CHECKING:
    # annotation only: `sshmon serve` builds a context without the alert engine
    from alerts.runtime import AlertsRuntime
    from parsers.exposition_render import Packed
    from store.settings import StoreSettings

__all__ = ["LOOPBACK", "AppContext", "AuthSettings", "QueryPool", "WebSettings"]

P = ParamSpec("P")
T = TypeVar("T")


class QueryPool:
    """A few worker threads, each with its own store client.

    clickhouse-connect's clients (and chDB's) are synchronous and not to be shared between
    threads (see store/db.py), so every thread opens its own, lazily, and queries never run
    on the event loop. The pool size bounds how many queries run at once, which is what keeps
    a burst of dashboard tabs from starving the writer.
    """

    def __init__(self, connect: Callable[[], Client], threads: int = 4) -> None:
        self._connect = connect
        self._local = threading.local()
        self._clients: list[Client] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="sshmon-query")

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._connect()
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    async def run(
        self, fn: Callable[Concatenate[Client, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Call `fn(client, *args, **kwargs)` on a pool thread."""

        def call() -> T:
            return fn(self._client(), *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()


def _no_self_metrics() -> Iterable[Metric]:
    return ()


@dataclass
class AppContext:
    """What `create_app` needs. `inventory` may be swapped on reload (SIGHUP)."""

    settings: WebSettings
    queries: QueryPool
    inventory: Inventory
    hub: Hub = field(default_factory=Hub)
    # poller/writer health for /metrics: prometheus_client Metric families
    self_metrics: Callable[[], Iterable[Metric]] = _no_self_metrics
    # host -> collector -> newest ok/unavailable/failed; only where the poller runs (`run`)
    collector_status: Callable[[str], Mapping[str, CollectorStatus]] | None = None
    # wall clock (seconds since the epoch), read only at the edge; tests pass a fixed one
    clock: Callable[[], float] = time.time
    # runs the fixed `ps` (parsers.cmd_ps.COMMAND) on a host's kept session, returns stdout
    top_processes: Callable[[str], Awaitable[str]] | None = None
    # `sshmon run --workers N`: host -> (newest good poll, its node_exporter families as
    # printed by the worker polling it), for /metrics; the hub has no readings of those
    remote_exposition: Callable[[], Awaitable[Mapping[str, tuple[float, Packed]]]] | None = None
    # host -> number of firing alerts; None until the alert engine is wired
    firing_alerts: Callable[[], Mapping[str, int]] | None = None
    # this process's alert engine, notifier and database; None in `sshmon serve`, where
    # only the alert history (from the store) is available
    alerts: AlertsRuntime | None = None
    # where auth.db and session.key go when the settings do not name them
    data_dir: Path = Path("data")
    # True once the store is reachable and the schema applied; /readyz reports it
    ready: Callable[[], bool] = lambda: True
    # the clock the rate limiter and stream caps read; tests pass one they move by hand
    monotonic: Callable[[], float] = time.monotonic
    # one line per part that is off or lost data (a corrupt alerts.db, broken store parts):
    # shown as a banner on every page, so nobody has to read the log to learn it
    problems: Callable[[], list[str]] = list
    # store.settings.StoreSettings of the store served, for GET /api/v1/db/status: with the
    # embedded store only this process may open it, so `sshmon db status` asks here
    database: StoreSettings | None = None
