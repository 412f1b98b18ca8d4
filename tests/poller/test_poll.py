"""HostPoller: slow-section cadence, backoff, output to points; through a real local `sh`."""

from __future__ import annotations

import asyncio
import os
import random
from pathlib import Path

import asyncssh
from fake_clock import FakeClock
from fake_servers import isolated_settings

from parsers.proc_vmstat import Vmstat
from poller.catalog import METRICS
from poller.check import check
from poller.errors import PollError, PollTimeout, ProbeFailed
from poller.inventory import Host
from poller.points import HostState
from poller.poll import BACKOFF_CAP_S, HostPoller, backoff_s
from poller.ssh import Connector
from poller.transport import LocalLink, Mode, RawPoll, SshLink


def _local(**settings: object) -> Host:
    return Host.model_validate(
        {"name": "here", "address": "localhost", "transport": "local", **settings}
    )


async def test_local_host_polls_produce_rates_on_the_second_poll() -> None:
    clock = FakeClock()
    host = _local()
    poller = HostPoller(host, LocalLink(host), clock)
    try:
        first = await poller.poll()
        await clock.advance(10)
        # rates use the target's own uptime between the two reads, which ticks in 10 ms:
        # this waits for a real kernel counter to move, it does not pass the poller's time
        await _uptime_advanced_by(0.05)
        second = await poller.poll()
    finally:
        await poller.close()
    assert first.status.state is HostState.OK and second.status.state is HostState.OK
    assert first.host_info is not None and first.host_info.kernel
    assert "meminfo" in first.readings and "df" in first.readings
    rates = {p.metric for p in second.points} - {p.metric for p in first.points}
    assert rates, "the second poll adds rate points the first cannot have"
    assert all(p.ts == second.status.ts for p in second.points)


async def test_outcome_keeps_the_full_readings_the_poller_keeps_only_hot_fields() -> None:
    """The previous snapshot drops vmstat's text (rates read `hot`); the outcome, which
    /metrics and `probe` show, keeps every field."""
    clock = FakeClock()
    host = _local()
    poller = HostPoller(host, LocalLink(host), clock)
    try:
        outcome = await poller.poll()
    finally:
        await poller.close()
    shown, kept = outcome.readings["vmstat"], poller._previous.readings["vmstat"]  # type: ignore[union-attr]
    assert isinstance(shown, Vmstat) and isinstance(kept, Vmstat)
    assert len(shown.values) > len(shown.hot) and kept.text == "" and kept.hot == shown.hot


async def _uptime_advanced_by(seconds: float) -> None:
    def uptime() -> float:
        return float(Path("/proc/uptime").read_text().split()[0])

    start = uptime()
    while uptime() - start < seconds:
        await asyncio.sleep(0.01)


class _CountingLink:
    """Records which polls asked for slow sections; answers through a real local sh."""

    def __init__(self, host: Host) -> None:
        self.inner = LocalLink(host)
        self.slow: list[bool] = []
        self.rare: list[tuple[int, ...] | None] = []
        self.mode = self.inner.mode

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
        self.slow.append(slow)
        self.rare.append(rare)
        return await self.inner.poll(nonce, slow=slow, rare=rare)

    async def close(self) -> None:
        await self.inner.close()


async def test_slow_sections_on_first_poll_then_every_slow_every_and_after_reconnect() -> None:
    host = _local(slow_every=3)
    link = _CountingLink(host)
    poller = HostPoller(host, link, FakeClock())
    try:
        outcomes = [await poller.poll() for _ in range(5)]
        await link.inner.close()  # the shell went away: next poll starts a new one
        outcomes.append(await poller.poll())
    finally:
        await poller.close()
    assert link.slow == [True, False, False, True, False, True]
    assert [o.host_info is not None for o in outcomes] == link.slow
    # the last slow readings stay in every outcome's readings (for /metrics and probe)
    assert all("df" in o.readings for o in outcomes)


class _FailingOnceLink(_CountingLink):
    """A real local sh, but the poll numbered `fail_at` fails after asking (output lost)."""

    def __init__(self, host: Host, fail_at: int) -> None:
        super().__init__(host)
        self.fail_at = fail_at

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        raw = await super().poll(nonce, slow=slow, due=due, rare=rare)
        if len(self.slow) == self.fail_at:
            raise ProbeFailed("output lost")
        return raw


async def test_a_rare_cadence_whose_round_failed_comes_at_the_next_slow_round() -> None:
    """Each cadence runs once its `every` slow rounds have passed since it last ran: a
    failed round does not count as run, and a new connection runs them all."""
    host = _local(slow_every=2)
    link = _FailingOnceLink(host, fail_at=5)  # the third slow round, where 2 is due
    poller = HostPoller(host, link, FakeClock())
    try:
        outcomes = [await poller.poll() for _ in range(10)]
        await link.inner.close()
        outcomes.append(await poller.poll())
    finally:
        await poller.close()
    assert link.slow == [True, False] * 5 + [True]
    slow_rare = [r for r, slow in zip(link.rare, link.slow, strict=True) if slow]
    assert slow_rare == [(2, 5, 30), (), (2,), (2,), (), (2, 5, 30)]
    assert [o.status.state for o in outcomes].count(HostState.PROBE_FAILED) == 1
    # uname was read at the first poll only, and kept in every outcome after it
    assert all(
        o.readings.get("uname") is outcomes[0].readings["uname"]
        for o in outcomes[1:-1]
        if o.status.state is HostState.OK
    )


async def test_fs_points_appear_only_at_the_polls_that_ran_df_with_their_own_time() -> None:
    host = _local(slow_every=3)
    link = _CountingLink(host)
    clock = FakeClock()
    poller = HostPoller(host, link, clock)
    outcomes = []
    try:
        for _ in range(7):
            outcomes.append(await poller.poll())
            await clock.advance(10)
    finally:
        await poller.close()
    assert link.slow == [True, False, False, True, False, False, True]
    slow_metrics = {name for name, spec in METRICS.items() if spec.slow}
    for outcome, slow in zip(outcomes, link.slow, strict=True):
        fs = [p for p in outcome.points if p.metric in slow_metrics]
        if slow:  # this machine has a real root filesystem, so df always gives some
            assert fs and {p.ts for p in fs} == {outcome.status.ts}
        else:
            assert fs == [], f"fs points re-stamped at a poll without df: {fs[:3]}"
    # fast metrics still come at every poll
    assert all(any(p.metric == "load1" for p in o.points) for o in outcomes)


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(3)
    delays = [backoff_s(n, rng) for n in range(1, 15)]
    assert all(0.5 * min(BACKOFF_CAP_S, 2 ** (n - 1)) <= d for n, d in enumerate(delays, 1))
    assert all(d <= min(BACKOFF_CAP_S, 2 ** (n - 1)) for n, d in enumerate(delays, 1))
    assert max(delays) <= BACKOFF_CAP_S and delays[-1] >= BACKOFF_CAP_S / 2
    assert len({round(backoff_s(9, rng), 6) for _ in range(20)}) > 1  # jittered


async def test_unreachable_host_is_not_redialled_before_its_backoff(tmp_path: Path) -> None:
    host = Host(name="gone", address="127.0.0.1", port=1, connect_timeout=2)
    connector = Connector(isolated_settings(tmp_path / "known_hosts"))
    attempts = 0

    async def connect(h: Host) -> asyncssh.SSHClientConnection:
        nonlocal attempts
        attempts += 1
        return await connector.connect(h)

    clock = FakeClock()
    poller = HostPoller(host, SshLink(host, connect, clock.monotonic), clock, random.Random(1))
    states = []
    for _ in range(12):  # 12 ticks of 1 s: 1+2+4 s of backoff allow only a few attempts
        states.append((await poller.poll()).status)
        await clock.advance(1.0)
    await poller.close()
    assert {s.state for s in states} == {HostState.UNREACHABLE}
    assert 3 <= attempts <= 5
    assert any("next attempt in" in s.reason for s in states)


class _FailingLink:
    def __init__(self, error: PollError) -> None:
        self.error = error
        self.mode: Mode = "shell"
        self.connected = True

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        raise self.error

    async def close(self) -> None:
        self.connected = False


async def test_poll_level_failure_keeps_the_connection_and_does_not_back_off() -> None:
    clock = FakeClock()
    error = ProbeFailed("cut off")
    link = _FailingLink(error)
    poller = HostPoller(Host(name="h", address="h"), link, clock)
    outcomes = [await poller.poll() for _ in range(3)]
    assert [o.status.reason for o in outcomes] == [error.reason] * 3  # no "next attempt in"
    assert [o.status.state for o in outcomes] == [error.state] * 3


async def test_repeated_timeouts_back_off_like_connect_failures() -> None:
    """A hung target gets a new session (and a new stuck process, if it cannot be killed)
    at most once per backoff step, not on every tick (issue 10 part 2)."""
    clock = FakeClock()
    link = _FailingLink(PollTimeout("slow"))
    poller = HostPoller(Host(name="h", address="h"), link, clock, rng=random.Random(1))
    tried = []
    for _ in range(40):  # 40 ticks of 10 s
        outcome = await poller.poll()
        tried.append("next attempt in" not in outcome.status.reason)
        await clock.advance(10.0)
    assert link.connected
    assert tried[:2] == [True, True]  # the first backoff is shorter than one tick
    assert 5 <= sum(tried) <= 10  # waits of 1, 2, 4 ... 256 s (times 0.5 to 1) in 400 s


async def test_target_that_never_prints_the_done_marker_times_out() -> None:
    host = _local()
    # a "shell" that echoes its input: the done marker never comes, the poll times out
    link = LocalLink(host.model_copy(update={"timeout": 0.5}), shell=("cat",))
    poller = HostPoller(host, link, FakeClock())
    outcome = await poller.poll()
    await poller.close()
    assert outcome.status.state is HostState.TIMEOUT
    assert "did not finish" in outcome.status.reason


async def test_check_of_a_local_host_needs_no_ssh(tmp_path: Path) -> None:
    [result] = await check([_local()], tmp_path / "known_hosts")
    assert result.state is HostState.OK, result.reason
    assert result.kernel and result.os_name
    assert not (tmp_path / "known_hosts").exists()


async def test_socket_memory_bytes_at_every_poll_with_the_page_size_of_the_slow_round() -> None:
    # the page size is read in the slow round only; it holds until the next one, so
    # tcp_mem_bytes (sockstat pages x page size) is derived at the fast polls too
    host = _local(slow_every=3)
    link = _CountingLink(host)
    clock = FakeClock()
    poller = HostPoller(host, link, clock)
    outcomes = []
    try:
        for _ in range(4):
            outcomes.append(await poller.poll())
            await clock.advance(10)
    finally:
        await poller.close()
    assert link.slow == [True, False, False, True]
    page = os.sysconf("SC_PAGE_SIZE")
    for outcome in outcomes:
        mem = [p for p in outcome.points if p.metric == "tcp_mem_bytes"]
        assert len(mem) == 1 and mem[0].value % page == 0 and mem[0].ts == outcome.status.ts
