"""The fast read by an `awk` kept for the session (poller/probe.py, _AWK_START), against the
`head` started at every poll it replaces: through a real `dash` session fed the probe's
definitions once and one line per poll, as the SSH transport feeds it, the readings are
the same ones.

This machine has no hwmon chip nor thermal zone: their paths are pointed at the fixture
tree node_exporter was run on (tests/fixtures/sysclass), whose values do not move, so
temperatures compare by value; /proc moves between two reads, so it compares by what was
read (metric and device)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from peer_fixtures import FIXTURES
from sshd import Sshd

from poller import probe
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.ssh import Connector
from poller.transport import RawPoll, SshLink

TREE = FIXTURES / "sysclass"
MOVED = ("/sys/class/hwmon/", "/sys/class/thermal/")


class _Session:
    """One long-lived shell fed the definitions once, then one invocation per poll."""

    mode = "local"
    connected = True

    def __init__(self, host: Host, *, awk: bool, shell: tuple[str, ...] = ("dash",)) -> None:
        self.plan = probe.plan_for(host)
        self.shell = subprocess.Popen(
            shell,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        text = ("" if awk else "_sm_noawk=1; ") + probe.definitions(plan=self.plan)
        self.write(text)

    def write(self, text: str) -> None:
        assert self.shell.stdin is not None
        for path in MOVED:
            text = text.replace(path, f"{TREE}{path}")
        self.shell.stdin.write(text.encode())
        self.shell.stdin.flush()

    def read_until(self, end: bytes) -> bytes:
        assert self.shell.stdout is not None
        lines = []
        while (line := self.shell.stdout.readline()) != end:
            assert line, "the session ended"
            lines.append(line)
        out = b"".join(lines) + end
        for path in MOVED:
            out = out.replace(f"==> {TREE}{path}".encode(), f"==> {path}".encode())
        return out

    def variable(self, name: str) -> str:
        self.write(f"printf '%s\\n' \"${name}\" '@@'\n")
        return self.read_until(b"@@\n").decode().split("\n")[0]

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        self.write(probe.invocation(nonce, slow=slow, due=due, rare=rare or ()))
        return RawPoll(self.read_until(probe.done_marker(nonce)), "local", False)

    async def close(self) -> None:
        assert self.shell.stdin is not None and self.shell.stdout is not None
        self.shell.stdin.close()
        self.shell.wait(10)
        self.shell.stdout.close()

    def stop(self) -> None:
        self.shell.kill()
        self.shell.wait()
        for stream in (self.shell.stdin, self.shell.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def host() -> Host:
    return Host.model_validate(
        {"name": "here", "address": "127.0.0.1", "transport": "local", "slow_every": 2}
    )


@pytest.fixture
def sessions(host: Host) -> Iterator[tuple[_Session, _Session]]:
    kept, started = _Session(host, awk=True), _Session(host, awk=False)
    yield kept, started
    for s in (kept, started):
        s.stop()


def _read(outcome: PollOutcome) -> set[tuple[str, str]]:
    return {(p.metric, p.dev) for p in outcome.points}


def _temperatures(outcome: PollOutcome) -> dict[tuple[str, str], float]:
    metrics = {"temp_celsius", "thermal_zone_celsius"}
    return {(p.metric, p.dev): p.value for p in outcome.points if p.metric in metrics}


async def test_the_kept_awk_reads_what_head_reads(
    host: Host, sessions: tuple[_Session, _Session]
) -> None:
    kept, started = sessions
    assert kept.variable("_sm_ar") == "1" and started.variable("_sm_ar") == ""
    awk = psutil.Process(int(kept.variable("_sm_ap")))
    assert awk.name() in {"awk", "mawk", "gawk"} and awk.ppid() == kept.shell.pid
    outcomes: dict[str, list[PollOutcome]] = {"kept": [], "started": []}
    for label, session in (("kept", kept), ("started", started)):
        poller = HostPoller(host, session, FakeClock())
        for _ in range(4):  # slow, fast, slow, fast: rates and held names in every one
            outcomes[label].append(await poller.poll())
    for a, h in zip(outcomes["kept"], outcomes["started"], strict=True):
        assert a.status.state == h.status.state
        assert {n: s.state for n, s in a.collectors.items()} == {
            n: s.state for n, s in h.collectors.items()
        }
        assert _temperatures(a) == _temperatures(h) and _temperatures(a)
    # what was read, before any rate: the first poll's points are the readings themselves
    # (later ones add rates whose presence depends on the traffic in between, such as a
    # loss percentage where packets moved)
    first_kept, first_started = outcomes["kept"][0], outcomes["started"][0]
    assert _read(first_kept) == _read(first_started) and len(_read(first_kept)) > 50
    # one awk for the whole session, still the same one
    assert kept.variable("_sm_ap") == str(awk.pid) and awk.is_running()


async def test_the_awk_ends_with_its_session(host: Host) -> None:
    session = _Session(host, awk=True)
    awk = psutil.Process(int(session.variable("_sm_ap")))
    await session.close()  # the channel closes: the shell reads end of file and exits
    awk.wait(5)  # its request pipe's last writer is gone: end of file, exit
    # the two FIFOs were removed once both ends were open: nothing is left on disk
    assert not any(p.endswith(("/q", "/a")) for p in _open_paths(awk))


def _open_paths(proc: psutil.Process) -> list[str]:
    try:
        return [f.path for f in proc.open_files()]
    except psutil.NoSuchProcess:
        return []


def _path_with(tmp_path: Path, awk: str) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "awk").write_text(f"#!/bin/sh\n{awk}\n")
    (bin_dir / "awk").chmod(0o755)
    return f"{bin_dir}:{os.environ['PATH']}"


async def test_busybox_awk_is_kept_too_and_reads_what_head_reads(
    host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # busybox awk ignores `-W interactive` (with a warning) and reads a pipe line by line
    monkeypatch.setenv("PATH", _path_with(tmp_path, 'exec busybox awk "$@"'))
    kept = _Session(host, awk=True, shell=("busybox", "sh"))
    started = _Session(host, awk=False, shell=("busybox", "sh"))
    try:
        assert kept.variable("_sm_ar") == "1" and started.variable("_sm_ar") == ""
        outcomes = []
        for session in (kept, started):
            poller = HostPoller(host, session, FakeClock())
            outcomes.append(await poller.poll())  # the first poll: readings, no rates
        assert outcomes[0].collectors.keys() == outcomes[1].collectors.keys()
        assert {n: c.state for n, c in outcomes[0].collectors.items()} == {
            n: c.state for n, c in outcomes[1].collectors.items()
        }
        assert _temperatures(outcomes[0]) == _temperatures(outcomes[1]) and _temperatures(
            outcomes[0]
        )
    finally:
        kept.stop()
        started.stop()


async def test_an_awk_that_refuses_interactive_reads_leaves_head(
    host: Host, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusing = 'case "$1" in -W) exit 2 ;; esac; exec mawk "$@"'
    monkeypatch.setenv("PATH", _path_with(tmp_path, refusing))
    session = _Session(host, awk=True)
    try:
        assert session.variable("_sm_ar") == ""
        poller = HostPoller(host, session, FakeClock())
        await poller.poll()
        outcome = await poller.poll()
        assert _read(outcome) and _temperatures(outcome)
    finally:
        session.stop()


def _awks_under(server: Sshd) -> set[int]:
    assert server.process is not None
    return {
        p.pid
        for p in psutil.Process(server.process.pid).children(recursive=True)
        if p.name() in {"awk", "mawk", "gawk"} and "interactive" in p.cmdline()
    }


def _wait_until(what: str, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # waiting for real processes on the target to end


@pytest.mark.sshd
async def test_one_awk_per_session_on_the_real_sshd_and_none_after_close(
    sshd: Sshd, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(slow_every=2)
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock)
    try:
        first = await poller.poll()
        kept = _awks_under(sshd)
        for _ in range(3):
            await clock.advance(10)
            outcome = await poller.poll()
            assert outcome.status.state == first.status.state == HostState.OK
        assert len(kept) == 1 and _awks_under(sshd) == kept  # started once, still the one
        await link.close()  # the channel closes: the sh and its awk end with it
        _wait_until("the session's awk to end", lambda: not _awks_under(sshd))
    finally:
        await poller.close()


@pytest.mark.sshd
async def test_a_session_whose_awk_was_killed_polls_on(sshd: Sshd, tmp_path: Path) -> None:
    # the `sh` polls with head once it has reaped its awk (`kill -0` fails); a write to an
    # awk it has not reaped yet ends the session by SIGPIPE, and the next poll opens a new
    # one with a new awk: either way polling goes on, and nothing hangs
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(slow_every=2, timeout=5.0)
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock)
    try:
        await poller.poll()
        (killed,) = _awks_under(sshd)
        psutil.Process(killed).kill()
        states = []
        async with asyncio.timeout(30):
            for _ in range(3):
                await clock.advance(10)
                states.append((await poller.poll()).status.state)
        assert states[-1] == HostState.OK and killed not in _awks_under(sshd)
    finally:
        await poller.close()
