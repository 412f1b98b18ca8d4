"""Alerts through a running `sshmon run`: a real threshold crossing on a real poll, delivered
by real Apprise to a real local HTTP receiver, shown in the API and the overview."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_run_e2e import free_port

SSHMON = Path(sys.executable).with_name("sshmon")


class Receiver:
    """An HTTP endpoint that records every JSON body Apprise's json:// posts to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def test_a_crossed_threshold_fires_is_delivered_and_shows(
    tmp_path: Path, receiver: Receiver
) -> None:
    inventory = tmp_path / "inventory.yaml"
    # uptime is always above 1 second: the rule fires on the first poll, for real
    inventory.write_text(
        f"""poller:
  data_dir: {tmp_path / "data"}
hosts:
  here:
    transport: local
    interval: 1s
alerts:
  defaults: false
  link_base: http://127.0.0.1:8080
  rules:
    - name: booted
      metric: uptime_seconds
      critical: 1
      message: "{{{{ host }}}} has been up {{{{ value }}}}"
  routes:
    - name: hook
      urls: ["json://127.0.0.1:{receiver.port}/hook"]
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
    try:
        deadline = time.monotonic() + 90
        while not receiver.bodies:
            assert proc.poll() is None and time.monotonic() < deadline, log.seek(0) or log.read()
            time.sleep(0.3)
        message = json.dumps(receiver.bodies[0])
        assert "[FIRING] here: here has been up" in message  # our template, rendered
        assert "/hosts/here" in message  # links to the host page

        firing = get(port, "/api/v1/alerts")
        assert any(a["rule"] == "booted" and a["host"] == "here" for a in firing)
        hosts = {h["name"]: h for h in get(port, "/api/v1/hosts")}
        assert hosts["here"]["firing_alerts"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        log.seek(0)
        output = log.read()
        log.close()
    assert code == 0 and "Traceback" not in output, output
