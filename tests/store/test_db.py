"""Connecting: the embedded engine's one-directory rules become clear StoreErrors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from store.db import EMBEDDED_OPTIONS, connect, database_name, lock_owner
from store.errors import (
    StoreConfigError,
    StoreDataError,
    StoreLockedError,
    StoreQueryError,
    StoreUnavailableError,
    translate,
)
from store.settings import StoreSettings


def test_a_directory_locked_by_a_live_process_names_its_pid(tmp_path: Path) -> None:
    (tmp_path / "status").write_text(f"PID: {os.getppid()}\nStarted at: now\n")
    with pytest.raises(StoreLockedError, match=f"in use by process {os.getppid()}"):
        connect(StoreSettings(url=f"chdb://{tmp_path}"))


def test_a_stale_status_file_is_not_a_lock(tmp_path: Path) -> None:
    (tmp_path / "status").write_text(f"PID: {os.getpid()}\n")  # ourselves: not a lock
    assert lock_owner(tmp_path) is None
    (tmp_path / "status").write_text("PID: 999999999\n")  # no such process
    assert lock_owner(tmp_path) is None


def test_a_second_chdb_directory_in_one_process_is_a_config_error(
    client: Client, tmp_path: Path
) -> None:
    with pytest.raises(StoreConfigError, match="one data directory per process"):
        connect(StoreSettings(url=f"chdb://{tmp_path}/other"))


def test_clients_in_one_process_share_the_directory(client: Client, settings: StoreSettings
                                                    ) -> None:
    other = connect(settings)
    client.command("CREATE TABLE shared (x UInt8) ENGINE = Memory")
    assert other.query("EXISTS TABLE shared").result_rows == [(1,)]
    other.close()
    assert client.query("SELECT 1").result_rows == [(1,)]  # closing one leaves the engine up


def test_relative_chdb_path_is_refused() -> None:
    with pytest.raises(StoreConfigError):
        connect(StoreSettings(url="chdb://relative/dir"))


def test_server_url_path_names_the_database() -> None:
    assert database_name(StoreSettings(url="http://u:p@ch:8123/metrics")) == "metrics"
    assert database_name(StoreSettings(url="http://ch:8123")) == "sshmon"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [(OperationalError("connection refused"), StoreUnavailableError),
     (DatabaseError("Code: 241. Memory limit exceeded"), StoreUnavailableError),
     (DatabaseError("Code: 53. Type mismatch"), StoreDataError),
     (DatabaseError("Code: 60. Unknown table"), StoreQueryError),
     (TypeError("float expected"), StoreDataError)],
    ids=["network", "memory", "bad-type", "schema-drift", "driver-serialization"],
)
def test_library_errors_map_to_the_tree(exc: Exception, kind: type) -> None:
    assert type(translate(exc)) is kind


def test_env_url_overrides_the_config() -> None:
    s = StoreSettings(url="chdb:///a").with_env({"SSHMON_DATABASE_URL": "http://ch:8123"})
    assert s.url == "http://ch:8123"
    assert StoreSettings(url="chdb:///a").with_env({}).url == "chdb:///a"


def test_the_embedded_engine_starts_with_sshmons_server_settings(tmp_path: Path) -> None:
    """The first client of a process starts the engine with EMBEDDED_OPTIONS (a fresh
    process: this one's engine was started by the session's first test)."""
    code = (
        "import sys\n"
        "from store.db import connect\n"
        "from store.settings import StoreSettings\n"
        "c = connect(StoreSettings(url='chdb://' + sys.argv[1]))\n"
        "print(c.query(\"SELECT value FROM system.server_settings "
        "WHERE name = 'memory_worker_period_ms'\").result_rows[0][0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "db")],
        capture_output=True, text=True, timeout=120, check=True,
    )
    assert done.stdout.strip() == EMBEDDED_OPTIONS["memory_worker_period_ms"] == "1000"
