"""A real `sshmon run` process for end-to-end alert tests: start, restart, SIGHUP, SIGKILL.

Down hosts are ssh hosts on a loopback port nothing listens on (the connect is refused at
once, so they fail every poll for real); up hosts use `transport: local`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

SSHMON = Path(sys.executable).with_name("sshmon")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def down_host(name: str, port: int, interval: str = "1s") -> str:
    """An inventory entry for a host whose polls are refused (nothing listens on `port`)."""
    return (
        f"  {name}:\n    address: 127.0.0.1\n    port: {port}\n    interval: {interval}\n"
        "    connect_timeout: 1s\n    timeout: 2s\n"
    )


def up_host(name: str, interval: str = "1s") -> str:
    return f"  {name}:\n    transport: local\n    interval: {interval}\n"


class Run:
    """One inventory file and data dir, and the `sshmon run` processes started on them."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.inventory = tmp_path / "inventory.yaml"
        self.data = tmp_path / "data"
        self.web_port = free_port()
        self.log_path = tmp_path / "run.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[str] | None = None
        self._log_from = 0  # log offset where the current process started

    def write(self, hosts: str, alerts: str) -> None:
        """Write the file; `alerts` is the body of the `alerts:` section (indented by 2)."""
        text = f"poller:\n  data_dir: {self.data}\nhosts:\n{hosts}alerts:\n{alerts}"
        # write then rename, as editors do, so the watcher never reads half a file
        tmp = self.inventory.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(self.inventory)

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self._log = self.log_path.open("a", encoding="utf-8")
        self._log_from = self.log_path.stat().st_size
        env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
        cmd = [str(SSHMON), "run", "-i", str(self.inventory)]
        cmd += ["--listen", f"127.0.0.1:{self.web_port}"]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)

    def output(self, whole: bool = False) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text if whole else text[self._log_from :]

    def wait_log(self, needle: str, timeout: float = 60.0, count: int = 1) -> None:
        """Until the current process has logged `needle` `count` times."""
        deadline = time.monotonic() + timeout
        while self.output().count(needle) < count:
            assert self.proc is not None and self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no {needle!r} in:\n{self.output()}"
            time.sleep(0.1)

    def hup(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> str:
        """SIGTERM and wait; returns this process's log, asserting a clean exit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        out = self._close()
        assert code == 0 and "Traceback" not in out, out
        return out

    def kill(self) -> str:
        """SIGKILL: nothing gets to flush."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)
        return self._close()

    def _close(self) -> str:
        out = self.output()
        if self._log is not None:
            self._log.close()
            self._log = None
        return out

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._close()


# the poller's reason for a refused connect may end with its reconnect backoff, which depends
# on when in the backoff the failing poll fell; everything else in a title is asserted exactly
_BACKOFF = re.compile(r" \(next attempt in \d+ s\)")


def titles(bodies: list[dict[str, Any]]) -> list[str]:
    return [_BACKOFF.sub("", str(b.get("title", ""))) for b in bodies]


def settle(seconds: float) -> None:
    """Watch for *absence* of messages: the one place a test must let real time pass."""
    time.sleep(seconds)
