"""`sshmon run --workers N` end to end: real worker processes, a real sshd, the real chDB.

Every host is an entry pointing at the one test sshd; which worker polls it is the salted
rendezvous hash of its name (sshmon/workers.py `share`), worked out here the same way.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from sshd import Sshd

from poller.inventory import Host
from sshmon.workers import share

SSHMON = Path(sys.executable).with_name("sshmon")
NAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_of(name: str, n: int) -> int:
    return next(k for k in range(1, n + 1) if share([Host(name=name, address="x")], k, n))


class Run:
    def __init__(
        self, tmp: Path, server: Sshd, names: list[str], workers: int, interval: int, file: bool
    ):
        """`file`: ask for the workers with `poller.workers` rather than `--workers`."""
        self.server, self.interval = server, interval
        self.poller = f"  workers: {workers}\n" if file else ""
        self.data = tmp / "data"
        self.data.mkdir()
        server.trust_into(self.data / "known_hosts")
        self.inventory = tmp / "inventory.yaml"
        self.write_inventory(names)
        self.port = free_port()
        self.log = (tmp / "run.log").open("w+")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
        self.proc = subprocess.Popen(
            [
                str(SSHMON),
                "run",
                "-i",
                str(self.inventory),
                "--listen",
                f"127.0.0.1:{self.port}",
                *([] if file else ["--workers", str(workers)]),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def write_inventory(self, names: list[str], timeouts: dict[str, int] | None = None) -> None:
        s, timeouts = self.server, timeouts or {}
        body = "".join(
            f"  {n}:\n    address: {s.address}\n    port: {s.port}\n    user: {s.user}\n"
            f"    identity_file: {s.client_key}\n    interval: {self.interval}s\n"
            f"    timeout: {timeouts.get(n, 10)}s\n"
            for n in names
        )
        self.inventory.write_text(
            f"poller:\n  data_dir: {self.data}\n{self.poller}"
            f"database:\n  flush_interval_s: 0.5\nhosts:\n{body}"
        )

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=15) as r:
            return str(r.read().decode())

    def hosts(self) -> dict[str, dict[str, Any]]:
        return {h["name"]: h for h in json.loads(self.get("/api/v1/hosts"))}

    def wait_for(self, what: str, predicate: Callable[[], object], timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if predicate():
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}\n{self.output()}")

    def all_ok(self, names: list[str]) -> bool:
        hosts = self.hosts()
        return all(hosts.get(n, {}).get("state") == "ok" for n in names)

    def workers(self) -> dict[int, psutil.Process]:
        """Worker slot k -> its process (by the `--shard K/N` on its command line)."""
        out = {}
        for child in psutil.Process(self.proc.pid).children():
            try:
                cmd = child.cmdline()
            except psutil.Error:  # a killed worker not reaped yet (a zombie), or gone
                continue
            if "sshmon.worker" in cmd:
                out[int(cmd[cmd.index("--shard") + 1].split("/")[0])] = child
        return out

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=timeout)
        return self.proc.returncode


@pytest.fixture
def start(tmp_path: Path, sshd: Sshd) -> Iterator[Callable[..., Run]]:
    runs: list[Run] = []

    def make(names: list[str], workers: int, interval: int = 1, file: bool = False) -> Run:
        where = tmp_path / f"run{len(runs)}"
        where.mkdir()
        runs.append(Run(where, sshd, names, workers, interval, file))
        return runs[-1]

    yield make
    for r in runs:
        for p in r.workers().values() if r.proc.poll() is None else ():
            p.kill()
        if r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()
        r.log.close()


STORE = """
import json, sys
from store import db
from store.settings import StoreSettings
client = db.connect(StoreSettings(url="chdb://" + sys.argv[1]))
def rows(sql):
    return [list(r) for r in client.query(sql).result_rows]
print(json.dumps({
    "series": rows("SELECT DISTINCT host, metric, dev FROM points"),
    "polls": rows("SELECT host, toUnixTimestamp(ts), state FROM poll_status ORDER BY host, ts"),
    "dup_polls": rows("SELECT host, ts, count() c FROM poll_status GROUP BY host, ts "
                      "HAVING c > 1"),
    "dup_points": rows("SELECT host, metric, dev, ts, count() c FROM points "
                       "GROUP BY host, metric, dev, ts HAVING c > 1 LIMIT 10"),
    "infos": rows("SELECT DISTINCT host FROM host_info"),
}))
"""


def read_store(path: Path) -> dict[str, Any]:
    """Read in a child process: chDB opens one data directory per process."""
    done = subprocess.run(
        [sys.executable, "-c", STORE, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def polled_twice(r: Run, names: list[str]) -> Callable[[], bool]:
    """Every host has rates (two good polls) in the API."""

    def check() -> bool:
        hosts = r.hosts()
        return all(hosts.get(n, {}).get("cpu") is not None for n in names)

    return check


def polls_done(r: Run, names: list[str]) -> int:
    """The fewest ok polls of any of `names`, from /metrics."""
    text = r.get("/metrics")
    counts = []
    for name in names:
        line = f'sshmon_polls_total{{host="{name}",result="ok"}} '
        found = [float(x.split()[-1]) for x in text.splitlines() if x.startswith(line)]
        counts.append(int(found[0]) if found else 0)
    return min(counts)


def families_of(metrics: str, names: list[str]) -> dict[str, set[str]]:
    """host -> the names of the samples /metrics exports with instance="host"."""
    out: dict[str, set[str]] = {n: set() for n in names}
    for line in metrics.splitlines():
        for name in names:
            if f'instance="{name}"' in line:
                out[name].add(line.split("{", 1)[0])
    return out


def test_two_workers_poll_every_host_and_store_what_one_process_stores(
    start: Callable[..., Run],
) -> None:
    names = NAMES[:4]
    assert {worker_of(n, 2) for n in names} == {1, 2}  # both workers have hosts
    stored, exported = {}, {}
    for workers in (2, 1):
        r = start(names, workers)
        r.wait_for("every host polled twice", polled_twice(r, names))
        r.wait_for("four polls of every host", lambda r=r: polls_done(r, names) >= 4)
        assert len(r.workers()) == (workers if workers > 1 else 0)
        if workers == 2:
            # top processes: asked of the worker that holds the host's session
            for name in (n for n in names if worker_of(n, 2) == 2):
                top = json.loads(r.get(f"/api/v1/hosts/{name}/processes"))
                assert top["count"] > 5 and top["has_cpu"], top
            metrics = r.get("/metrics")
            assert 'sshmon_worker_up{worker="1"} 1.0' in metrics
            assert 'sshmon_worker_restarts_total{worker="2"} 0.0' in metrics
            assert 'sshmon_worker_dropped_polls_total{worker="1"} 0.0' in metrics
            assert 'sshmon_polls_total{host="alpha",result="ok"}' in metrics
        # /metrics: each host's readings under node_exporter names, printed by its worker
        # (counters such as node_cpu_seconds_total have no stored equivalent to fall back on)
        exported[workers] = families_of(r.get("/metrics"), names)
        assert all("node_cpu_seconds_total" in exported[workers][n] for n in names), workers
        assert r.stop() == 0, r.output()
        assert "Traceback" not in r.output()
        stored[workers] = read_store(r.data / "db")
    for workers, got in stored.items():
        assert {h for h, _, _ in got["series"]} == set(names), workers
        assert {h for (h,) in got["infos"]} == set(names), workers
        assert got["dup_polls"] == [] and got["dup_points"] == [], workers
        assert {s for _, _, s in got["polls"]} == {"ok"}, workers
    # the same series of every host: the same points, whichever process polled them
    # (a mean I/O time exists only for a device that completed I/O between two polls)
    assert exported[2] == exported[1]
    two, one = (
        {tuple(x) for x in stored[k]["series"] if not x[1].endswith("_await_seconds")}
        for k in (2, 1)
    )
    assert two == one, (sorted(two - one), sorted(one - two))


def test_a_killed_worker_is_restarted_and_its_hosts_polled_again_without_duplicates(
    start: Callable[..., Run],
) -> None:
    interval = 5
    names = NAMES
    r = start(names, 2, interval)
    r.wait_for("every host polled", lambda: r.all_ok(names))
    victims = [n for n in names if worker_of(n, 2) == 1]
    assert victims and len(victims) < len(names)
    worker = r.workers()[1]
    killed_at = time.time()
    worker.send_signal(signal.SIGKILL)

    def replaced() -> bool:
        new = r.workers().get(1)
        return new is not None and new.pid != worker.pid

    r.wait_for("a new worker 1", replaced)
    r.wait_for("the restart counted", lambda: 'restarts_total{worker="1"} 1.0' in r.get("/metrics"))

    def polled_after_kill() -> bool:
        hosts = r.hosts()
        return all((hosts[n]["last_poll"] or 0) > killed_at for n in victims)

    r.wait_for("the killed worker's hosts polled again", polled_after_kill)
    assert r.stop() == 0, r.output()
    log = r.output()
    assert "worker 1/2" in log and "killed by SIGKILL" in log, log
    got = read_store(r.data / "db")
    assert got["dup_polls"] == [] and got["dup_points"] == []
    for name in victims:
        after = [ts for h, ts, _ in got["polls"] if h == name and ts > killed_at]
        assert after, name
        # polled again within two intervals of the kill (the stored poll times)
        assert min(after) - killed_at <= 2 * interval, (name, min(after) - killed_at)
    # the other worker's hosts went on: no tick missed around the kill (a gap of two
    # intervals would be one)
    for name in (n for n in names if n not in victims):
        stamps = [ts for h, ts, _ in got["polls"] if h == name]
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        assert max(gaps) < 2 * interval, (name, gaps)


def sessions(r: Run) -> set[int]:
    """Local ports of the workers' connections to the sshd: one per polled host."""
    return {
        c.laddr.port
        for p in r.workers().values()
        for c in p.net_connections(kind="tcp")
        if c.raddr and c.raddr.port == r.server.port and c.status == psutil.CONN_ESTABLISHED
    }


def test_sighup_adds_removes_and_changes_hosts_across_workers(start: Callable[..., Run]) -> None:
    first = NAMES[:3]
    r = start(first, 2)
    r.wait_for("first hosts", lambda: r.all_ok(first))
    r.wait_for("one session a host", lambda: len(sessions(r)) == 3)
    before = sessions(r)
    pids = {k: p.pid for k, p in r.workers().items()}
    # alpha goes, charlie changes, delta, echo and foxtrot come, bravo stays as it was
    second = NAMES[1:]
    r.write_inventory(second, timeouts={"charlie": 9})
    r.proc.send_signal(signal.SIGHUP)
    r.wait_for("the new hosts polled", lambda: r.all_ok(second))
    r.wait_for("alpha gone", lambda: "alpha" not in r.hosts())
    r.wait_for("one session a host", lambda: len(sessions(r)) == 5)
    assert {worker_of(n, 2) for n in second} == {1, 2}
    assert {k: p.pid for k, p in r.workers().items()} == pids  # no worker restarted
    # bravo kept its session; alpha's and the changed charlie's were closed
    assert len(before & sessions(r)) == 1
    assert 'sshmon_polls_total{host="alpha"' not in r.get("/metrics")
    assert r.stop() == 0, r.output()
    assert "inventory reloaded: 5 hosts" in r.output()


def test_sigterm_drains_every_worker_within_the_deadline(start: Callable[..., Run]) -> None:
    names = NAMES[:4]
    r = start(names, 2, file=True)  # poller.workers: 2 in the file this time
    r.wait_for("every host polled", lambda: r.all_ok(names))
    workers = list(r.workers().values())
    assert len(workers) == 2
    # the owner's deadlines: the workers' drain (10 s) then the writer's flush (15 s)
    assert r.stop(timeout=30) == 0, r.output()
    log = r.output()
    assert "2 workers stopped" in log and "Traceback" not in log, log
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)
    got = read_store(r.data / "db")
    assert {h for h, _, _ in got["polls"]} == set(names)


def test_a_second_sigterm_exits_at_once_with_workers(start: Callable[..., Run]) -> None:
    names = NAMES[:2]
    r = start(names, 2)
    r.wait_for("every host polled", lambda: r.all_ok(names))
    workers = list(r.workers().values())
    r.proc.send_signal(signal.SIGTERM)
    r.proc.send_signal(signal.SIGTERM)
    assert r.proc.wait(timeout=30) == 0, r.output()
    psutil.wait_procs(workers, timeout=10)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)


def sessions_of(r: Run) -> dict[int, int]:
    """Worker slot k -> how many sessions it holds to the sshd."""
    return {
        k: sum(
            1
            for c in p.net_connections(kind="tcp")
            if c.raddr and c.raddr.port == r.server.port and c.status == psutil.CONN_ESTABLISHED
        )
        for k, p in r.workers().items()
    }


def test_sighup_with_a_new_worker_count_grows_and_shrinks_the_pool(
    start: Callable[..., Run],
) -> None:
    """`poller.workers` edited and reloaded: the pool grows to 3 and back to 2 without a
    restart; only the hosts the hash gives to another slot move, none is polled twice."""
    names = NAMES
    r = start(names, 2, file=True)
    r.wait_for("every host polled", lambda: r.all_ok(names))
    r.wait_for("one session a host", lambda: len(sessions(r)) == len(names))
    first = {k: p.pid for k, p in r.workers().items()}
    moved = [n for n in names if worker_of(n, 3) == 3]
    assert moved and all(worker_of(n, 2) == worker_of(n, 3) for n in names if n not in moved)

    r.poller = "  workers: 3\n"
    r.write_inventory(names)
    r.proc.send_signal(signal.SIGHUP)
    r.wait_for("a third worker", lambda: set(r.workers()) == {1, 2, 3})
    assert {k: r.workers()[k].pid for k in (1, 2)} == first  # the two kept running
    want = {k: sum(1 for n in names if worker_of(n, 3) == k) for k in (1, 2, 3)}
    r.wait_for("each host's session in its new worker", lambda: sessions_of(r) == want)
    done = polls_done(r, moved)
    r.wait_for("the moved hosts polled again", lambda: polls_done(r, moved) >= done + 2)

    r.poller = "  workers: 2\n"
    r.write_inventory(names)
    r.proc.send_signal(signal.SIGHUP)
    r.wait_for("back to two workers", lambda: set(r.workers()) == {1, 2})
    want = {k: sum(1 for n in names if worker_of(n, 2) == k) for k in (1, 2)}
    r.wait_for("each host's session back in its worker", lambda: sessions_of(r) == want)
    done = polls_done(r, moved)
    r.wait_for("the moved hosts polled again", lambda: polls_done(r, moved) >= done + 2)
    assert {k: r.workers()[k].pid for k in (1, 2)} == first
    # one process is another wiring altogether: that waits for a restart, and says so
    r.poller = "  workers: 1\n"
    r.write_inventory(names)
    r.proc.send_signal(signal.SIGHUP)
    r.wait_for("the warning", lambda: "applies at the next start" in r.output())
    assert {k: p.pid for k, p in r.workers().items()} == first
    assert r.stop() == 0, r.output()
    log = r.output()
    assert "now asks for one process; that applies at the next start (running 2 worker" in log
    assert "workers 3..3 started: polling with 3" in log, log
    assert "workers 3..3 of 3 stopped: polling with 2" in log, log
    assert "Traceback" not in log and "restarting it" not in log, log
    got = read_store(r.data / "db")
    assert got["dup_points"] == [] and got["dup_polls"] == []
    for name in names:
        stamps = [ts for h, ts, _ in got["polls"] if h == name]
        # a moved host waits for the drain (its worker's last poll) and a new session
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        assert max(gaps) <= 12, (name, gaps)
