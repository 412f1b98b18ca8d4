"""A `df` that never returns, as on a stale NFS mount (issue 10 part 3).

Before: each of the two df calls ran under `timeout 10`, 20 s together, past the default
10 s poll timeout, so every slow poll timed out; and since a timed-out poll never counted,
every next poll was a slow one again: the host was unpollable for good. Now the slow
commands' budget fits inside the poll timeout, the fast readings arrive, the df failure is
reported with its reason, and df is retried on the slow schedule only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from fake_clock import FakeClock

from poller import probe
from poller.errors import PollTimeout
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller
from poller.transport import LocalLink, Mode, RawPoll

HANG_SECONDS = "987655"  # a sleep no other process on the machine runs
POLL_TIMEOUT_S = 10.0  # the default


def _hung_dfs() -> list[psutil.Process]:
    return [
        p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", HANG_SECONDS]
    ]


@pytest.fixture
def hung_df_shell(tmp_path: Path) -> Iterator[tuple[str, ...]]:
    """A local `sh` whose PATH finds a `df` that sleeps forever before the real one."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    df = bin_dir / "df"
    df.write_text(f"#!/bin/sh\nexec sleep {HANG_SECONDS}\n")
    df.chmod(0o755)
    yield ("env", f"PATH={bin_dir}:{os.environ['PATH']}", "sh")
    for proc in _hung_dfs():
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()


async def test_hung_df_costs_only_the_df_sections(hung_df_shell: tuple[str, ...]) -> None:
    host = Host(
        name="nfs-client",
        address="localhost",
        transport="local",
        timeout=POLL_TIMEOUT_S,
        slow_every=3,
    )
    clock = FakeClock()
    poller = HostPoller(host, LocalLink(host, shell=hung_df_shell), clock)
    budget = probe.command_timeout_s(POLL_TIMEOUT_S)
    outcomes, took = [], []
    try:
        for _ in range(5):
            started = time.monotonic()
            outcomes.append(await poller.poll())
            took.append(time.monotonic() - started)
            await clock.advance(10.0)
    finally:
        await poller.close()
    print("poll durations with a hung df:", [f"{t:.1f} s" for t in took])
    assert [o.status.state for o in outcomes] == [HostState.OK] * 5, outcomes[0].status.reason
    # the slow round (polls 1 and 4, slow_every 3) tries df once, within its budget
    for i in (0, 3):
        failures = outcomes[i].failures
        assert failures["df"] == f"df timed out after {budget} s: a hung mount?"
        # not tried again: it would hang on the same mount
        assert failures["df_inodes"] == probe.timed_out_reason("df_inodes", budget)
        assert took[i] < POLL_TIMEOUT_S / 2 + 1.0
        assert {"stat", "meminfo", "uname"} <= set(outcomes[i].readings)
        assert "df" not in outcomes[i].readings  # no stale filesystem figures either
    # between slow rounds df is not tried at all: fast polls stay fast
    for i in (1, 2, 4):
        assert outcomes[i].failures == {}
        assert took[i] < 1.0
        assert {"stat", "meminfo"} <= set(outcomes[i].readings)
    assert _hung_dfs() == []  # `timeout` ended each stuck df


class _SlowRoundTimesOut:
    """A link whose slow rounds time out and whose fast ones succeed (through a real sh)."""

    def __init__(self, host: Host) -> None:
        self.inner = LocalLink(host)
        self.mode: Mode = "local"
        self.rounds: list[bool] = []

    @property
    def connected(self) -> bool:
        return self.inner.connected

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        self.rounds.append(slow)
        if slow and len(self.rounds) > 1:
            raise PollTimeout("probe did not finish")
        return await self.inner.poll(nonce, slow=slow, rare=rare)

    async def close(self) -> None:
        await self.inner.close()


async def test_a_slow_round_that_timed_out_waits_for_the_slow_schedule() -> None:
    host = Host(name="h", address="localhost", transport="local", slow_every=3)
    clock = FakeClock()
    link = _SlowRoundTimesOut(host)
    poller = HostPoller(host, link, clock)
    try:
        for _ in range(10):
            await poller.poll()
            await clock.advance(400.0)  # past any backoff
    finally:
        await poller.close()
    assert link.rounds == [True, False, False, True, False, False, True, False, False, True]
