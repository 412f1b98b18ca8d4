"""Corrupt or unusable local state (alerts.db, auth.db) costs only its own part: a real
`sshmon run` against a real sshd keeps polling and storing, says which file and what is
wrong in one line, and shows it on the dashboard and /metrics. No traceback."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sshd import Sshd
from test_run_e2e import SSHMON, free_port, host_entry, hosts

from alerts.db import AlertsDB

PAGE = 4096  # SQLite's default page size


class Run:
    """`sshmon run` on a data dir the test prepared before the start."""

    def __init__(self, tmp: Path, server: Sshd, extra: str = "") -> None:
        self.data = tmp / "data"
        self.data.mkdir(exist_ok=True)
        server.trust_into(self.data / "known_hosts")
        self.inventory = tmp / "inventory.yaml"
        self.inventory.write_text(
            f"poller:\n  data_dir: {self.data}\ndatabase:\n  flush_interval_s: 0.5\n{extra}"
            f"hosts:\n{host_entry('target', server)}"
        )
        self.port = free_port()
        self.log = (tmp / "run.log").open("w+")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Run:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
        self.proc = subprocess.Popen(
            [str(SSHMON), "run", "-i", str(self.inventory), "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        return self

    def get(self, path: str) -> str:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return str(r.read().decode())

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_polled(self) -> None:
        """Until the host is polled and stored: the API reads its state from the store."""
        import time

        # generous: on a loaded CI machine the first polls can time out a few times
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.output()
            try:
                if hosts(self)["target"]["state"] == "ok":  # type: ignore[arg-type]
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"host never polled\n{self.output()}")

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=60)


@pytest.fixture
def run(tmp_path: Path, sshd: Sshd) -> Iterator[Run]:
    r = Run(tmp_path, sshd)
    yield r
    if r.proc is not None and r.proc.poll() is None:
        r.proc.kill()
        r.proc.wait()
    r.log.close()


def make_alerts_db(path: Path, rows: int = 0) -> None:
    """A real alerts.db as sshmon makes it, with `rows` delivery-log rows to spread pages."""
    db = AlertsDB(f"sqlite:///{path}")
    db.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")  # everything in the main file, no WAL left
    conn.executemany(
        "INSERT INTO alert_deliveries (ts, message_id, route, host, title, body, notify_type,"
        " attempt, ok, outcome, reason) VALUES (?, ?, 'r', 'h', 't', ?, 'info', 1, 1, 'sent', '')",
        [(float(i), f"m{i}", "x" * 200) for i in range(rows)],
    )
    conn.commit()
    conn.close()


def overwrite(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(data)


def only_line_with(text: str, needle: str) -> str:
    lines = [line for line in text.splitlines() if needle in line]
    assert len(lines) == 1, text
    return lines[0]


def test_alerts_db_with_random_bytes_at_offset_0_is_moved_aside(run: Run) -> None:
    db = run.data / "alerts.db"
    make_alerts_db(db)
    garbage = os.urandom(64)
    overwrite(db, 0, garbage)
    run.start().wait_polled()

    line = only_line_with(run.output(), "alerts database")
    assert str(db) in line and "is corrupt" in line and "moved it to alerts.db.corrupt-" in line
    aside = list(run.data.glob("alerts.db.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes()[:64] == garbage  # kept for salvage
    assert sqlite3.connect(db).execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert 'sshmon_component_up{component="alerts"} 1' in run.get("/metrics")
    assert "was corrupt" in run.get("/")  # the banner
    assert run.stop() == 0
    assert "Traceback" not in run.output()


def test_alerts_db_with_one_bad_page_is_moved_aside(run: Run) -> None:
    db = run.data / "alerts.db"
    make_alerts_db(db, rows=500)  # ~30 pages of delivery log
    pages = db.stat().st_size // PAGE
    overwrite(db, (pages // 2) * PAGE, os.urandom(PAGE))  # one page in the middle of the log
    run.start().wait_polled()

    line = only_line_with(run.output(), "alerts database")
    assert str(db) in line and "is corrupt" in line
    assert len(list(run.data.glob("alerts.db.corrupt-*"))) == 1
    assert run.stop() == 0
    assert "Traceback" not in run.output()


def test_unopenable_alerts_db_turns_only_alerts_off(run: Run) -> None:
    (run.data / "alerts.db").mkdir()  # cannot be opened, and is no corrupt file to move
    run.start().wait_polled()

    line = only_line_with(run.output(), "alerts are off")
    assert f"alerts database {run.data / 'alerts.db'}: unable to open database file" in line
    assert 'sshmon_component_up{component="alerts"} 0' in run.get("/metrics")
    assert "alerts is off: alerts database" in run.get("/")
    assert run.stop() == 0
    assert "Traceback" not in run.output()


def test_corrupt_auth_db_is_moved_aside_and_the_web_app_serves(
    tmp_path: Path, sshd: Sshd
) -> None:
    r = Run(tmp_path, sshd, extra="web:\n  auth:\n    enabled: true\n")
    db = r.data / "auth.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    overwrite(db, 0, os.urandom(64))
    try:
        r.start()
        import time

        deadline = time.monotonic() + 90
        while "token database" not in r.output() or not _answers(r):
            assert r.proc is not None and r.proc.poll() is None, r.output()
            assert time.monotonic() < deadline, r.output()
            time.sleep(0.5)
        line = only_line_with(r.output(), "token database")
        assert str(db) in line and "moved it to auth.db.corrupt-" in line
        assert r.stop() == 0
        assert "Traceback" not in r.output()
    finally:
        if r.proc is not None and r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()
        r.log.close()


def _answers(r: Run) -> bool:
    try:
        return "ok" in r.get("/healthz")
    except OSError:
        return False


def points_parts(chdb: Path) -> list[Path]:
    """The part directories of the raw points table, found through the Atomic database's
    metadata (`ATTACH TABLE _ UUID '…'`): read from disk, the engine being stopped."""
    sql = (chdb / "metadata" / "sshmon" / "points.sql").read_text()
    table_uuid = sql.split("UUID '", 1)[1].split("'", 1)[0]
    table = chdb / "store" / table_uuid[:3] / table_uuid
    return [p for p in table.iterdir() if p.is_dir() and p.name[:1].isdigit()]


def test_broken_store_parts_are_reported_once_counted_and_shown(run: Run) -> None:
    run.start().wait_polled()
    assert run.stop() == 0  # SIGTERM flushes: the points are in parts on disk
    for part in points_parts(run.data / "db"):
        for column in part.glob("*.bin"):  # sizes no longer match checksums.txt
            with column.open("r+b") as f:
                f.truncate(column.stat().st_size // 2)

    seen = len(run.output())
    run.start().wait_polled()
    line = only_line_with(run.output()[seen:], "broken part")
    assert "WARNING" in line and "points/detached/broken-on-start_" in line
    assert "rows no longer queried" in line
    count = int(line.split("the store detached ", 1)[1].split(" ", 1)[0])
    assert count >= 1
    assert f"sshmon_store_broken_parts {count}" in run.get("/metrics")
    assert "broken part(s) at start" in run.get("/")  # the banner
    assert run.stop() == 0

    seen = len(run.output())  # the next start knows these parts: no second warning
    run.start().wait_polled()
    assert "broken part" not in run.output()[seen:]
    assert f"sshmon_store_broken_parts {count}" in run.get("/metrics")
    assert run.stop() == 0
    assert "Traceback" not in run.output()

    status = subprocess.run(
        [str(SSHMON), "db", "status", "-i", str(run.inventory)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert status.returncode == 0, status.stderr
    assert f"broken parts detached: {count}: points/detached/broken-on-start_" in status.stdout
