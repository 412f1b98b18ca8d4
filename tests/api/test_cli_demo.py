"""`sshmon demo` as a user runs it: a real process, polled over real SSH, served, stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from test_run_e2e import free_port

SSHMON = Path(sys.executable).with_name("sshmon")
HOSTS = 5
# generous: this bounds a wait for a condition, it is not a duration the test relies on
DEADLINE_S = 120.0


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def _hosts_with_data(base: str) -> list[dict[str, Any]]:
    status, body = _get(f"{base}/api/v1/hosts")
    if status != 200:
        return []
    return [h for h in json.loads(body) if h["state"] == "ok" and h["cpu"] is not None]


def test_demo_serves_a_labelled_fleet_and_leaves_nothing_behind(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    env["TMPDIR"] = str(tmp_path)  # where the demo's throwaway directory goes
    log_path = tmp_path / "demo.log"
    command = [str(SSHMON), "demo", "--hosts", str(HOSTS), "--interval", "1"]
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [*command, "--listen", f"127.0.0.1:{port}"], stdout=log, stderr=log, env=env
        )
    try:
        deadline = time.monotonic() + DEADLINE_S
        while len(_hosts_with_data(base)) < HOSTS:
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        assert list(tmp_path.glob("sshmon-demo-*")), "the data lives in the temp dir"
        status, page = _get(f"{base}/")
        assert status == 200
        assert "demo fleet \u2014 simulated hosts" in page
        status, page = _get(f"{base}/hosts/web-01")
        assert status == 200 and "demo fleet" in page
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE_S) == 0, log_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not list(tmp_path.glob("sshmon-demo-*")), "the temp dir is removed at exit"
