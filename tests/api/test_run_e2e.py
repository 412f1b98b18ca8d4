"""`sshmon run` end to end: a real sshd, the real process, the real embedded store."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sshd import Sshd

SSHMON = Path(sys.executable).with_name("sshmon")
# Families every healthy Linux host yields from one poll pair (metric name prefixes).
FAMILIES = (
    "cpu_",
    "mem_",
    "swap_",
    "load",
    "fs_",
    "disk_",
    "net_",
    "tcp_",
    "psi_",
    "context_switches",
    "uptime_seconds",
    "procs_",
    "open_fds",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def host_entry(name: str, server: Sshd) -> str:
    return f"""  {name}:
    address: {server.address}
    port: {server.port}
    user: {server.user}
    identity_file: {server.client_key}
    interval: 1s
"""


class Running:
    def __init__(self, tmp_path: Path, server: Sshd) -> None:
        self.tmp = tmp_path
        self.server = server
        self.data = tmp_path / "data"
        self.data.mkdir()
        server.trust_into(self.data / "known_hosts")
        self.inventory = tmp_path / "inventory.yaml"
        self.write_inventory(["target"])
        self.port = free_port()
        self.log = (tmp_path / "run.log").open("w+")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
        self.proc = subprocess.Popen(
            [str(SSHMON), "run", "-i", str(self.inventory), "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def write_inventory(self, names: list[str], extra: str = "") -> None:
        body = "".join(host_entry(n, self.server) for n in names)
        self.inventory.write_text(
            f"poller:\n  data_dir: {self.data}\ndatabase:\n  flush_interval_s: 0.5\n"
            f"hosts:\n{body}{extra}"
        )

    def get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return str(r.read().decode())

    def wait_for(self, what: str, predicate: object, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                if predicate():  # type: ignore[operator]
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            return self.proc.wait(timeout=60)
        return self.proc.returncode


@pytest.fixture
def running(tmp_path: Path, sshd: Sshd) -> Iterator[Running]:
    r = Running(tmp_path, sshd)
    yield r
    if r.proc.poll() is None:
        r.proc.kill()
        r.proc.wait()
    r.log.close()


def hosts(r: Running) -> dict[str, dict[str, object]]:
    return {h["name"]: h for h in json.loads(r.get("/api/v1/hosts"))}


def test_run_polls_stores_serves_and_flushes_on_sigterm(running: Running) -> None:
    r = running
    r.wait_for("a polled host in the API", lambda: hosts(r)["target"]["state"] == "ok")
    r.wait_for("rates after two polls", lambda: hosts(r)["target"]["cpu"] is not None)
    metrics = r.get("/metrics")
    assert 'sshmon_polls_total{host="target",result="ok"}' in metrics
    assert 'node_load1{instance="target"}' in metrics or "node_load1{" in metrics
    assert r.get("/").count("target") >= 1
    # top processes: a live `ps` over the host's kept connection (sshd runs here, so the
    # pytest process itself is among them)
    top = json.loads(r.get("/api/v1/hosts/target/processes"))
    assert top["count"] > 5 and top["has_cpu"] and top["has_rss"]
    listed = {p["pid"] for p in top["by_cpu"] + top["by_memory"]}
    assert listed and all(isinstance(pid, int) for pid in listed)

    assert r.stop() == 0, r.output()
    assert "Traceback" not in r.output()

    # the process is gone and flushed: everything is readable from the store it left (read
    # in a child process: chDB opens one data directory per process, and this test process
    # may already hold the suites' shared one)
    stored = read_store(r.data / "db", "target")
    names = {m for m, _ in stored["latest"]}
    missing = [f for f in FAMILIES if not any(n.startswith(f) for n in names)]
    assert not missing, sorted(names)
    assert ["net_rx_bytes_per_second", "lo"] in stored["latest"]
    assert ["fs_used_percent", "/"] in stored["latest"]
    assert len(stored["polls"]) >= 2 and set(stored["polls"]) == {"ok"}
    assert stored["kernel"] == os.uname().release


READ_STORE = """
import json, sys, time
from store import db, queries
from store.settings import StoreSettings
client = db.connect(StoreSettings(url="chdb://" + sys.argv[1]))
host = sys.argv[2]
print(json.dumps({
    "latest": sorted([r.metric, r.dev] for r in queries.latest_host(client, host)),
    "polls": [p.state for p in queries.poll_history(client, host, 0, time.time() + 60, 100)],
    "kernel": next(i.kernel for i in queries.host_infos(client) if i.host == host),
}))
"""


def read_store(path: Path, host: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", READ_STORE, str(path), host],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_sighup_reload_adds_hosts_and_a_broken_file_keeps_the_old_set(running: Running) -> None:
    r = running
    r.wait_for("first host", lambda: hosts(r)["target"]["state"] == "ok")
    r.write_inventory(["target", "second"])
    r.proc.send_signal(signal.SIGHUP)
    r.wait_for("second host polled", lambda: hosts(r).get("second", {}).get("state") == "ok")

    r.inventory.write_text(r.inventory.read_text() + "  third:\n    prot: 22\n")
    r.proc.send_signal(signal.SIGHUP)
    r.wait_for("the error in the log", lambda: "hosts.third.prot: unknown key" in r.output())
    assert set(hosts(r)) == {"target", "second"}
    assert f"{r.inventory}:" in r.output()  # the log names the file and line
    assert r.stop() == 0


def test_second_run_on_the_same_store_says_who_holds_it(running: Running) -> None:
    r = running
    r.wait_for("first process up", lambda: hosts(r)["target"]["state"] == "ok")
    second = subprocess.run(
        [str(SSHMON), "run", "-i", str(r.inventory), "--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2
    assert f"in use by process {r.proc.pid}" in second.stderr
    assert "Traceback" not in second.stderr
