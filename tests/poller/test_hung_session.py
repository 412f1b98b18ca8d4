"""A session whose `sh` hangs, on a real sshd (issue 10 part 2).

Before: every timed-out poll closed its channel and opened a new session on the next poll,
while sshd kept the old session's processes running (a closed channel does not end its
child); ten of them filled MaxSessions, every later poll was refused a channel, and the
processes outlived sshmon. Now a timed-out session is killed (a `signal` request: sshd
signals the session's process group) and closed before another opens, and repeated
timeouts back off.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from sshd import Sshd, keygen

from poller.points import HostState
from poller.poll import HostPoller
from poller.ssh import Connector
from poller.transport import SshLink

pytestmark = pytest.mark.sshd

HANG_SECONDS = "987654"  # a sleep no other process on the machine runs


def _hanging_key(server: Sshd, root: Path) -> Path:
    """A key whose sessions find a `tail`, a `head` and an `awk` in PATH that never return:
    the probe's first command hangs, the way a stuck /proc read or a slow NFS automount
    would (the fast files are read by a kept `awk` where the target's takes `-W
    interactive`, else by `head` when the probe has glob sources, else by `tail`)."""
    bin_dir = root / "hangbin"
    bin_dir.mkdir()
    for reader in ("tail", "head", "awk"):
        (bin_dir / reader).write_text(f"#!/bin/sh\nsleep {HANG_SECONDS}\n")
        (bin_dir / reader).chmod(0o755)
    key = keygen(root / "hang_key")
    env = f'environment="PATH={bin_dir}:/usr/bin:/bin" '
    with server.authorized_keys.open("a") as f:
        f.write(env + Path(f"{key}.pub").read_text())
    return key


def _hung_processes() -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if proc.info["cmdline"] == ["sleep", HANG_SECONDS]:
            found.append(proc)
    return found


def _wait_until(what: str, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # waiting for real processes on the target to end


def _kill_leftovers() -> None:
    for proc in _hung_processes():
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


@pytest.fixture
def hanging(sshd_factory: Callable[..., Sshd], tmp_path: Path) -> tuple[Sshd, Path]:
    server = sshd_factory(extra_config="PermitUserEnvironment yes\n")
    return server, _hanging_key(server, tmp_path)


async def test_timed_out_session_is_killed_before_the_next_one_opens(
    hanging: tuple[Sshd, Path], tmp_path: Path
) -> None:
    server, key = hanging
    host = server.host(identity_files=(key,), timeout=1.0)
    known = server.trust_into(tmp_path / "known_hosts")
    connector = Connector(isolated_settings(known))
    clock = FakeClock()
    poller = HostPoller(host, SshLink(host, connector.connect, clock.monotonic), clock)
    before = len(_hung_processes())
    try:
        states = []
        for _ in range(4):
            outcome = await poller.poll()
            states.append(outcome.status.state)
            # nothing of that session is left running on the target
            _wait_until("the hung session's processes to end", lambda: not _hung_processes())
            # a timeout backs off like a failed connect: the next tick opens no session
            backed_off = await poller.poll()
            assert "next attempt in" in backed_off.status.reason
            await clock.advance(400.0)
        assert states == [HostState.TIMEOUT] * 4
        assert poller.link.connected  # the connection itself stayed usable
    finally:
        await poller.close()
        leftover = len(_hung_processes())
        _kill_leftovers()
    assert (before, leftover) == (0, 0)


async def test_stopping_mid_poll_leaves_nothing_running_on_the_target(
    hanging: tuple[Sshd, Path], tmp_path: Path
) -> None:
    """SIGTERM or a reload cancels a poll that hangs: its processes end with the link."""
    server, key = hanging
    host = server.host(identity_files=(key,), timeout=60.0)
    known = server.trust_into(tmp_path / "known_hosts")
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock)
    task = asyncio.create_task(poller.poll())
    try:
        for _ in range(200):  # the hang shows up within seconds; never sleep without a bound
            if _hung_processes():
                break
            await asyncio.sleep(0.05)
        assert _hung_processes(), "the probe never reached the hanging tail"
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await poller.close()
        _wait_until("the cancelled session's processes to end", lambda: not _hung_processes())
    finally:
        _kill_leftovers()
