"""Connecting, and the one place where the embedded engine (chDB) and a server differ.

Measured with chDB 4.4 / chdb-core 26.9 and clickhouse-connect 1.12 (see tests/store):

- One data directory per *process*: a second `get_client(dsn="chdb:///other")` in the same
  process fails "EmbeddedServer already initialized with path …", and a second process on the
  same directory fails "Error initializing EmbeddedServer" (stderr: "Cannot lock file
  …/status"). So tests use one directory per test session and a fresh *database* per test,
  and the CLI must go through the running `sshmon run` (or name the PID that holds the lock,
  which chDB writes to `<dir>/status`, as a server does).
- Several clients in one process *can* share the directory and query in parallel, so the
  writer thread and the API each own a client (clients are not shared between threads).
- Closing a chDB client does not stop the embedded engine; it lives until the process exits.
- `async_insert` is accepted and does nothing; the async client does not support chDB at all,
  so sync clients run on worker threads, never on the event loop.
- Insert de-duplication works in chDB for plain MergeTree only when the table sets
  `non_replicated_deduplication_window`, and the rollup tables fed by views need it too:
  a de-duplicated insert into the raw table still runs the views, and only the target
  table's own window drops the repeated block (measured: without it the 5-minute counts
  doubled). `schema.py` sets the window on every table the writer feeds.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from store.errors import StoreConfigError, StoreLockedError, translated
from store.settings import StoreSettings

CHDB_SCHEME = "chdb://"
# Server settings of the embedded engine, taken by the first client of the process (later
# clients' options are ignored, not refused). chDB's MemoryWorker reads the process's RSS
# and jemalloc's stats every 100 ms by default: 0.08-0.10 s of CPU a minute in `sshmon
# run`, as much with 0 hosts as with 1,000 (bench/README.md, issue 15, h-c15f). It only
# corrects the engine's own accounting and purges dirty pages past 20 % of RAM; jemalloc's
# decay returns freed pages within 5 s anyway, so once a second is soon enough.
EMBEDDED_OPTIONS = {"memory_worker_period_ms": "1000"}
_PID_LINE = re.compile(r"^PID:\s*(\d+)", re.MULTILINE)


def is_embedded(url: str) -> bool:
    """True for the in-process chDB engine."""
    return url.startswith(CHDB_SCHEME)


def chdb_path(url: str) -> Path:
    """The data directory of a `chdb:///dir` URL."""
    path = url.removeprefix(CHDB_SCHEME)
    if not path.startswith("/"):
        raise StoreConfigError(f"chDB URL needs an absolute path: {url!r}")
    return Path(path)


def lock_owner(path: Path) -> int | None:
    """PID named in chDB's `status` file if that process is alive and is not us."""
    try:
        match = _PID_LINE.search((path / "status").read_text(errors="replace"))
    except OSError:
        return None
    if match is None:
        return None
    pid = int(match.group(1))
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # alive, owned by someone else
    return pid


def database_name(settings: StoreSettings) -> str:
    """The database: the path of a server URL (`http://h:8123/db`) wins over `database`."""
    if is_embedded(settings.url):
        return settings.database
    path = urlsplit(settings.url).path.strip("/")
    return path or settings.database


def connect(settings: StoreSettings) -> Client:
    """A new client for the calling thread, on the store's database (created if missing)."""
    database = database_name(settings)
    options: dict[str, dict[str, str]] = {}
    if is_embedded(settings.url):
        dsn = f"{CHDB_SCHEME}{_embedded_dir(settings.url)}"
        options["chdb_options"] = EMBEDDED_OPTIONS
    else:
        dsn = urlunsplit(urlsplit(settings.url)._replace(path=""))
    on_cluster = f" ON CLUSTER {quote_identifier(settings.cluster)}" if settings.cluster else ""
    with translated():
        # both clients name the options: closing the bootstrap client may stop the engine
        # when it is the process's only one, and the next client then starts it again
        bootstrap = clickhouse_connect.get_client(dsn=dsn, **options)  # type: ignore[arg-type]
        try:
            bootstrap.command(
                f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}{on_cluster}"
            )
        finally:
            bootstrap.close()
        return clickhouse_connect.get_client(
            dsn=dsn, database=database, **options  # type: ignore[arg-type]
        )


def _embedded_dir(url: str) -> Path:
    path = chdb_path(url)
    path.mkdir(parents=True, exist_ok=True)
    owner = lock_owner(path)
    if owner is not None:
        raise StoreLockedError(str(path), owner)
    return path


def quote_identifier(name: str) -> str:
    """Back-quote an identifier that came from our own schema or validated settings."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name):
        raise StoreConfigError(f"not a valid identifier: {name!r}")
    return f"`{name}`"
