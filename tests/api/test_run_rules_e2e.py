"""A rule edited through the API of a running `sshmon run` fires on a real poll of a real
(local) host, stays edited across a reload of the file (SIGHUP), and shows in `sshmon alerts
rules` and `sshmon alerts list`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from test_run_alerts_e2e import SSHMON, get
from test_run_e2e import free_port

RULES = "/api/v1/alerts/rules"


def send(port: int, method: str, path: str, body: Any) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.loads(r.read())


def wait_for(what: str, check: Any, proc: subprocess.Popen[bytes], log: Any) -> Any:
    deadline = time.monotonic() + 60
    while not (found := check()):
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            raise AssertionError(f"{what}: not seen\n{log.read()}")
        time.sleep(0.3)
    return found


def test_an_edited_threshold_fires_on_a_real_poll_and_survives_a_reload(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    # uptime is far below 10^12 s: this rule cannot fire until its threshold is edited
    inventory.write_text(
        f"""poller:
  data_dir: {tmp_path / "data"}
hosts:
  here:
    transport: local
    interval: 1s
alerts:
  defaults: false
  rules:
    - name: uptime
      metric: uptime_seconds
      warning: 1000000000000
"""
    )
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        [str(SSHMON), "run", "-i", str(inventory), "--listen", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )

    def firing() -> list[Any]:
        try:
            alerts = get(port, "/api/v1/alerts")
        except OSError:
            return []
        return [a for a in alerts if a["rule"] == "uptime" and a["state"] == "firing"]

    try:
        # a poll has come in (the host has a value) and nothing fires yet
        wait_for("a first poll", lambda: get_ok(port, "/api/v1/hosts/here"), proc, log)
        assert firing() == []
        changed = send(port, "PATCH", f"{RULES}/uptime", {"warning": 1})
        assert changed["now"]["warning"] == 1.0
        alert = wait_for("the edited rule firing", firing, proc, log)[0]
        assert alert["severity"] == "warning" and alert["value"] > 1

        os.kill(proc.pid, signal.SIGHUP)  # reloads the file: the UI's change stays on top
        wait_for("the reload", lambda: "inventory reloaded" in read(log), proc, log)
        rules = {r["name"]: r for r in get(port, RULES)}
        assert (rules["uptime"]["source"], rules["uptime"]["warning"]) == ("ui", 1.0)
        assert rules["uptime"]["firing_on"] == ["here"]
        assert firing()

        shown = subprocess.run(
            [str(SSHMON), "alerts", "rules", "-i", str(inventory), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        listed = {r["name"]: r for r in json.loads(shown.stdout)}
        assert (listed["uptime"]["source"], listed["uptime"]["warning"]) == ("ui", 1.0)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        output = read(log)
        log.close()
    assert code == 0 and "Traceback" not in output, output


def get_ok(port: int, path: str) -> bool:
    try:
        host = get(port, path)
    except OSError:
        return False
    return any(p["metric"] == "uptime_seconds" for p in host.get("latest") or [])


def read(log: Any) -> str:
    log.seek(0)
    text: str = log.read()
    return text
