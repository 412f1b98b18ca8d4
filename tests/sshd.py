"""A real OpenSSH sshd on 127.0.0.1 for tests: throwaway host and client keys, a free port.

Registered as a pytest plugin by tests/conftest.py. `sshd` is one server for the whole
session (tests that only connect and poll share it); `sshd_factory` starts private ones for
tests that restart, kill or re-key the server. Skips cleanly where /usr/sbin/sshd is missing.

sshd runs as the current user (root in CI) with a generated config: no PAM, StrictModes off
(the tmp files are not owned the way sshd insists on), keys and authorized_keys in tmp.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from poller.inventory import Host

SSHD = Path("/usr/sbin/sshd")
READY_TIMEOUT_S = 10.0

# A forced command (authorized_keys `command=`) in the least-privilege style: it runs the
# sshmon probe script and nothing else (no shell, no other command).
FORCED_WRAPPER = """#!/bin/sh
case "$SSH_ORIGINAL_COMMAND" in
  *@@sshmon*) exec /bin/sh -c "$SSH_ORIGINAL_COMMAND" ;;
  *) echo "only the sshmon probe may run here" >&2; exit 1 ;;
esac
"""


def keygen(path: Path, comment: str = "sshmon-test") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sshd:
    """One running sshd. `client_key` logs in normally, `forced_key` gets a forced command
    that allows only the probe, `held_key` sessions hang in `tail` while `hold` exists."""

    root: Path
    port: int = field(default_factory=free_port)
    address: str = "127.0.0.1"
    extra_config: str = ""
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.user = getpass.getuser()
        self.host_key = keygen(self.root / "host_key")
        self.client_key = keygen(self.root / "client_key")
        self.forced_key = keygen(self.root / "forced_key")
        self.wrong_key = keygen(self.root / "wrong_key")
        wrapper = self.root / "forced.sh"
        wrapper.write_text(FORCED_WRAPPER)
        wrapper.chmod(0o755)
        self.held_key = keygen(self.root / "held_key")
        self.hold = self.root / "hold"
        held = self._held_wrapper()
        self.authorized_keys = self.root / "authorized_keys"
        self.authorized_keys.write_text(
            _pub(self.client_key)
            + f'command="{wrapper}" '
            + _pub(self.forced_key)
            + f'command="{held}" '
            + _pub(self.held_key)
        )

    def _held_wrapper(self) -> Path:
        """Sessions of `held_key` run a `tail` and a `head` (the probe's fast reader with
        glob sources) that wait while the file `hold` exists: a poll that is reliably
        mid-way, for tests that cut connections under it."""
        bin_dir = self.root / "heldbin"
        bin_dir.mkdir()
        readers = [bin_dir / "tail", bin_dir / "head"]
        for reader in readers:
            reader.write_text(
                f"#!/bin/sh\nwhile [ -e {self.hold} ]; do sleep 0.05; done\n"
                f'exec {shutil.which(reader.name)} "$@"\n'
            )
        wrapper = self.root / "held.sh"
        wrapper.write_text(
            f'#!/bin/sh\nPATH={bin_dir}:$PATH; export PATH\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
        )
        for script in (*readers, wrapper):
            script.chmod(0o755)
        return wrapper

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sshd:
        config = self.root / "sshd_config"
        config.write_text(self._config())
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation dir sshd insists on
        with (self.root / "sshd.log").open("ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=log
            )
        self._wait_ready()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for child in self.sessions():
                with contextlib.suppress(psutil.NoSuchProcess):  # it may end on its own
                    child.kill()
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, *, new_host_key: bool = False) -> None:
        self.stop()
        if new_host_key:
            for suffix in ("", ".pub"):
                Path(f"{self.host_key}{suffix}").unlink()
            keygen(self.host_key)
        self.start()

    def sessions(self) -> list[psutil.Process]:
        """sshd's per-connection children (killing one drops that connection)."""
        if self.process is None:
            return []
        with contextlib.suppress(psutil.NoSuchProcess):  # a child that ends mid-walk
            return list(psutil.Process(self.process.pid).children(recursive=True))
        return []

    def running(self, name: str) -> bool:
        """Whether a process called `name` runs under this sshd (sessions come and go)."""
        for proc in self.sessions():
            with contextlib.suppress(psutil.NoSuchProcess):
                if proc.name() == name:
                    return True
        return False

    def drop_connections(self) -> int:
        """Kill every per-connection sshd: clients see their connection drop."""
        sessions = psutil.Process(self.process.pid).children() if self.process else []
        for child in sessions:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.send_signal(signal.SIGKILL)
        psutil.wait_procs(sessions, timeout=5)
        return len(sessions)

    # --- what clients need -----------------------------------------------------------------

    def known_hosts_line(self) -> str:
        return f"[{self.address}]:{self.port} {(self.host_key.parent / 'host_key.pub').read_text()}"

    def trust_into(self, known_hosts: Path) -> Path:
        with known_hosts.open("a") as f:
            f.write(self.known_hosts_line())
        return known_hosts

    def host(self, name: str = "target", **settings: Any) -> Host:
        values: dict[str, Any] = {
            "name": name,
            "address": self.address,
            "port": self.port,
            "user": self.user,
            "identity_files": (self.client_key,),
            "timeout": 10.0,
            "connect_timeout": 10.0,
        }
        values.update(settings)
        return Host(**values)

    def _config(self) -> str:
        return (
            f"Port {self.port}\nListenAddress {self.address}\nHostKey {self.host_key}\n"
            f"PidFile none\nStrictModes no\nUsePAM no\n"
            f"AuthorizedKeysFile {self.authorized_keys}\n"
            "PubkeyAuthentication yes\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPermitRootLogin yes\n"
            # ProxyJump tests jump through this same sshd
            "AllowTcpForwarding yes\nX11Forwarding no\nPrintMotd no\nPrintLastLog no\n"
            "MaxStartups 200\nMaxSessions 100\nLogLevel ERROR\n"
            # bash started by sshd sources ~/.bashrc unless it is a nested shell; SHLVL=1
            # makes it one. The machine's root .bashrc runs `pyenv init`, whose rehash lock
            # outlives a session our timeout tests kill, and then stalls every later login
            # 60 s: the tests are about sshmon, not about this machine's dotfiles.
            "SetEnv SHLVL=1\n" + self.extra_config
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.root / "sshd.log").read_text(errors="replace")
                raise RuntimeError(f"sshd exited with {self.process.returncode}: {log}")
            try:
                with socket.create_connection((self.address, self.port), timeout=0.5) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.02)  # waiting for a real process to listen, not passing time
        raise RuntimeError(f"sshd did not listen on {self.port} in {READY_TIMEOUT_S} s")


def _pub(key: Path) -> str:
    return Path(f"{key}.pub").read_text()


def _require_sshd() -> None:
    if not SSHD.exists() or shutil.which("ssh-keygen") is None:
        pytest.skip(f"{SSHD} or ssh-keygen not installed (apt-get install openssh-server)")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """One sshd shared by the session; do not restart or re-key it (use sshd_factory)."""
    _require_sshd()
    server = Sshd(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def sshd_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Start private sshds: `sshd_factory(extra_config='...')`; all stopped at teardown."""
    _require_sshd()
    started: list[Sshd] = []

    def start(**kw: Any) -> Sshd:
        server = Sshd(tmp_path_factory.mktemp("sshd"), **kw).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
