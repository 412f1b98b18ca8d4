"""Test helpers: a real HTTP receiver on 127.0.0.1, an inventory, points and polls."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alerts.config import AlertsConfig
from alerts.config import load as load_alerts
from poller import yamlfile
from poller.inventory import Host
from poller.points import HostState, Point, PollStatus


class Receiver:
    """An HTTP server that records every JSON POST; `fail_next(n)` answers the next n with 500."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self._failures = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with outer._changed:
                    failing = outer._failures > 0
                    outer._failures -= failing
                    if not failing:
                        outer.received.append(body)
                        outer.paths.append(self.path)
                    else:
                        outer.refused += 1
                    outer._changed.notify_all()
                self.send_response(500 if failing else 200)
                self.end_headers()
                self.wfile.write(b"boom" if failing else b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.refused = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._failures = n

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until `count` messages have arrived (real delivery takes real time)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {self.received!r}")
                self._changed.wait(left)
            return list(self.received)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def config_from_yaml(
    tmp_path: Path, text: str, hosts: Iterable[str] = (), groups: Iterable[str] = ()
) -> AlertsConfig:
    path = tmp_path / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    return load_alerts(yamlfile.load(path), frozenset(hosts), frozenset(groups))


def host(name: str, groups: tuple[str, ...] = (), **labels: str) -> Host:
    return Host(name=name, address=name, groups=groups, labels=tuple(sorted(labels.items())))


def ok(host_name: str, ts: float) -> PollStatus:
    return PollStatus(host=host_name, ts=ts, state=HostState.OK, reason="", duration_s=0.01)


def failed(host_name: str, ts: float, state: HostState = HostState.UNREACHABLE) -> PollStatus:
    return PollStatus(
        host=host_name, ts=ts, state=state, reason="connection refused", duration_s=0.01
    )


def pt(host_name: str, metric: str, value: float, ts: float, dev: str = "") -> Point:
    return Point(metric=metric, host=host_name, dev=dev, ts=ts, value=value)
