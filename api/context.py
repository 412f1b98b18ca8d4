"""Everything the web app needs from the rest of sshmon, built once by `sshmon run`/`serve`.

The app never reaches for globals: routers get this context through `api.deps`, so tests
build one around a throw-away store and inventory, and the composition decides what the
live hub and the health hooks are wired to.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from api.hub import Hub
from poller.inventory import Inventory

P = ParamSpec("P")
T = TypeVar("T")

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class AuthSettings(BaseModel):
    """`web.auth:`. Off by default, which is only allowed on a loopback address."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the token store; default sqlite:///<data>/auth.db",
    )
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    login_attempts_per_minute: int = Field(default=5, ge=1, le=1000)
    secure_cookies: bool | None = Field(
        default=None,
        description="Secure flag on the session cookie; None: on when base_url is https",
    )


class WebSettings(BaseModel):
    """The `web:` section of the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    base_url: str | None = Field(
        default=None, description="public URL, e.g. https://mon.example.com"
    )
    session_secret_file: Path | None = Field(
        default=None,
        description="HMAC key for session cookies; default <data>/session.key (created)",
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
    query_threads: int = Field(default=4, ge=1, le=64)
    max_points: int = Field(default=2000, ge=10, le=100_000)

    def cookies_secure(self) -> bool:
        if self.auth.secure_cookies is not None:
            return self.auth.secure_cookies
        return bool(self.base_url and self.base_url.startswith("https://"))


class QueryPool:
    """A few worker threads, each with its own store client.

    clickhouse-connect's clients (and chDB's) are synchronous and not to be shared between
    threads (see store/db.py), so every thread opens its own, lazily, and queries never run
    on the event loop. The pool size bounds how many queries run at once, which is what keeps
    a burst of dashboard tabs from starving the writer.
    """

    def __init__(self, connect: Callable[[], Any], threads: int = 4) -> None:
        self._connect = connect
        self._local = threading.local()
        self._clients: list[Any] = []
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="sshmon-query")

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._connect()
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
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


def _no_self_metrics() -> str:
    return ""


@dataclass
class AppContext:
    """What `create_app` needs. `inventory` may be swapped on reload (SIGHUP)."""

    settings: WebSettings
    queries: QueryPool
    inventory: Inventory
    hub: Hub = field(default_factory=Hub)
    # poller/writer health lines for /metrics, already in Prometheus text format
    self_metrics: Callable[[], str] = _no_self_metrics
    # runs the fixed `ps` (parsers.cmd_ps.COMMAND) on a host's kept session, returns stdout
    top_processes: Callable[[str], Awaitable[str]] | None = None
    # host -> number of firing alerts; None until the alert engine is wired
    firing_alerts: Callable[[], Mapping[str, int]] | None = None
    # this process's alerts.runtime.AlertsRuntime (.engine, .notifier, .db); None in
    # `sshmon serve`, where only the alert history (from the store) is available
    alerts: Any | None = None
    # where auth.db and session.key go when the settings do not name them
    data_dir: Path = Path("data")
    # True once the store is reachable and the schema applied; /readyz reports it
    ready: Callable[[], bool] = lambda: True
    # one line per part that is off or lost data (a corrupt alerts.db, broken store parts):
    # shown as a banner on every page, so nobody has to read the log to learn it
    problems: Callable[[], list[str]] = list
