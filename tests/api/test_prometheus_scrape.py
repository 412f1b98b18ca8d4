"""A real Prometheus scrapes a real `sshmon run` and answers PromQL about one of its hosts.

Also runs `promtool check metrics` on the /metrics body. The host is polled through the
local transport (a `sh` on this machine), so no sshd is needed; the scrape config is the
one shipped in deploy/prometheus/, with only the target and the interval changed.
Skipped only when Debian's `prometheus` package is missing (CI installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import pytest
import yaml

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
SSHMON = Path(sys.executable).with_name("sshmon")
SCRAPE_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "prometheus.yml"
HOST = "local-1"
DEADLINE_S = 90.0  # generous for a loaded 2-core CI box; the wait ends as soon as it is true

pytestmark = [
    pytest.mark.prometheus,
    pytest.mark.skipif(
        PROMETHEUS is None or PROMTOOL is None, reason="prometheus/promtool not installed"
    ),
]
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return str(r.read().decode())


def _wait(what: str, probe: Callable[[], T | None], procs: list[subprocess.Popen[Any]]) -> T:
    """Poll `probe` until it returns something, a process dies, or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"{proc.args[0]} exited while waiting for {what}"
        try:
            found = probe()
        except OSError:
            found = None
        if found is not None:
            return found
        time.sleep(0.2)  # a polling step, not a wait for time to pass
    raise AssertionError(f"timed out after {DEADLINE_S} s waiting for {what}")


def _start(args: list[str], log: IO[str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, text=True)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Sshmon:
    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        inventory = tmp / "inventory.yaml"
        inventory.write_text(
            f"poller:\n  data_dir: {tmp / 'data'}\n"
            f"hosts:\n  {HOST}:\n    transport: local\n    interval: 1s\n"
        )
        self.log = (tmp / "sshmon.log").open("w+")
        self.proc = _start(
            [str(SSHMON), "run", "-i", str(inventory), "--listen", f"127.0.0.1:{self.port}"],
            self.log,
        )

    def metrics(self) -> str:
        return _get(f"http://127.0.0.1:{self.port}/metrics")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()


@pytest.fixture(scope="module")
def sshmon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshmon]:
    s = Sshmon(tmp_path_factory.mktemp("sshmon"))
    try:
        # /metrics is cached for 5 s: wait until a rendering holds the host's readings
        _wait(
            "node_load1 of the host in /metrics",
            lambda: True if f'node_load1{{instance="{HOST}"}}' in s.metrics() else None,
            [s.proc],
        )
        yield s
    except AssertionError:
        print(s.output())
        raise
    finally:
        _stop(s.proc)
        s.log.close()


def test_promtool_finds_nothing_in_sshmon_families(sshmon: Sshmon) -> None:
    body = sshmon.metrics()
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=body, capture_output=True, text=True, timeout=60
    )
    findings = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
    for family in ("sshmon_polls_total", "sshmon_host_up", "sshmon_host_state"):
        assert f"# HELP {family} " in body  # the health families are there to be checked
    assert not [f for f in findings if f.startswith("sshmon_")], findings
    # the only findings left are node_exporter's own names (node_memory_MemTotal_bytes,
    # node_netstat_Tcp_InSegs: camelCase; node_entropy_available_bits, which promtool wants
    # in bytes): kept as node_exporter spells them so dashboards work
    known = ("'camelCase'", 'use base unit "bytes" instead of "bits"')
    others = [f for f in findings if not (f.startswith("node_") and f.endswith(known))]
    assert not others, others


def _query(port: int, promql: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    answer = json.loads(_get(url))
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def test_prometheus_scrapes_and_answers_node_load1_for_one_host(
    sshmon: Sshmon, tmp_path: Path
) -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text())
    config["global"]["scrape_interval"] = "1s"
    job = config["scrape_configs"][0]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{sshmon.port}"]}]
    config_file = tmp_path / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    port = _free_port()
    assert PROMETHEUS is not None
    with (tmp_path / "prometheus.log").open("w+") as log:
        prom = _start(
            [
                PROMETHEUS,
                f"--config.file={config_file}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            log,
        )
        try:
            result = _wait(
                "Prometheus to answer node_load1 for the host",
                lambda: _query(port, f'node_load1{{instance="{HOST}"}}') or None,
                [prom, sshmon.proc],
            )
            up = _query(port, 'sshmon_host_up{host="local-1"}')
        except AssertionError:
            log.seek(0)
            print(log.read())
            raise
        finally:
            _stop(prom)
    [series] = result
    # honor_labels kept sshmon's instance label: no exported_instance, the job is the scrape's
    assert series["metric"] == {"__name__": "node_load1", "instance": HOST, "job": "node"}
    assert float(series["value"][1]) >= 0
    assert [s["value"][1] for s in up] == ["1"]
