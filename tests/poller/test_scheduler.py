"""Scheduler: fixed rate with a stable phase, no drift, skipped ticks, isolation, reload."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from fake_clock import FakeClock, settle

from poller.inventory import Host
from poller.points import HostState, PollStatus
from poller.poll import PollOutcome
from poller.scheduler import (
    POLL_SLOT_S,
    Scheduler,
    SystemClock,
    first_tick,
    next_index,
    phase,
)


class FakePoller:
    """Takes `duration` seconds of fake time per poll (forever when None)."""

    def __init__(self, host: Host, clock: FakeClock, duration: float | None = 0.0) -> None:
        self.host = host
        self.clock = clock
        self.duration = duration
        self.started: list[float] = []
        self.closed = False

    async def poll(self) -> PollOutcome:
        self.started.append(self.clock.monotonic())
        if self.duration is None:
            await asyncio.Event().wait()  # hung: only cancellation ends it
        await self.clock.sleep_until(self.clock.monotonic() + (self.duration or 0.0))
        status = PollStatus(self.host.name, self.clock.time(), HostState.OK, "", 0.0)
        return PollOutcome(status)

    async def close(self) -> None:
        self.closed = True


def test_phase_is_stable_and_spreads_hosts_evenly() -> None:
    names = [f"web-{i}" for i in range(2000)]
    offsets = [phase(n, 10.0) for n in names]
    assert offsets == [phase(n, 10.0) for n in names]  # same every run
    assert all(0 <= o < 10 for o in offsets)
    per_second = Counter(int(o) for o in offsets)
    assert len(per_second) == 10 and min(per_second.values()) > 150  # 200 expected per bin


def test_first_tick_keeps_wall_clock_phase_across_restarts() -> None:
    for wall in (1_800_000_000.0, 1_800_000_003.7, 1_800_012_345.25):
        mono = 50.0
        tick = first_tick("db-1", 10.0, wall, mono, slot=0)
        assert 0 <= tick - mono < 10.0
        assert abs(((wall + tick - mono) % 10.0) - phase("db-1", 10.0)) < 1e-6
        # on the shared grid: later by less than a slot, never earlier
        slotted = first_tick("db-1", 10.0, wall, mono)
        assert 0 <= slotted - tick < POLL_SLOT_S
        assert abs(round(slotted / POLL_SLOT_S) * POLL_SLOT_S - slotted) < 1e-9


def test_hosts_whose_phases_share_a_slot_tick_at_the_same_moment() -> None:
    """What lets the loop handle a slot's polls in one turn: equal first ticks, read at
    different moments of the same clocks (each host task starts on its own)."""
    names = [f"web-{i}" for i in range(2000)]
    wall, mono = 1_800_000_000.0, 1000.0
    ticks = [first_tick(n, 10.0, wall + i * 1e-6, mono + i * 1e-6) for i, n in enumerate(names)]
    slots = Counter(ticks)
    assert len(slots) <= 10.0 / POLL_SLOT_S + 1  # about 20 hosts a slot, 100 slots
    assert max(slots.values()) < 60 and len(slots) > 90


async def test_system_clock_wakes_at_the_deadline_never_before() -> None:
    clock = SystemClock()
    loop = asyncio.get_running_loop()
    deadline = clock.monotonic() + 0.05
    woke: list[float] = []

    async def sleeper() -> None:
        await clock.sleep_until(deadline)
        woke.append(loop.time())

    await asyncio.gather(sleeper(), sleeper(), sleeper())
    # the loop's clock may round a timer up to its resolution, never more
    assert all(t >= deadline - time.get_clock_info("monotonic").resolution for t in woke)
    await clock.sleep_until(deadline - 1.0)  # a deadline already past returns at once


def test_overrun_skips_missed_ticks_instead_of_bursting() -> None:
    assert next_index(0, 100.0, 10.0, 105.0) == 1
    assert next_index(0, 100.0, 10.0, 125.0) == 3  # ticks 1 and 2 passed during the poll
    assert next_index(3, 100.0, 10.0, 130.0) == 4


async def _run(
    clock: FakeClock, hosts: list[Host], pollers: dict[str, FakePoller], until: float
) -> tuple[Scheduler, list[PollOutcome]]:
    outcomes: list[PollOutcome] = []
    scheduler = Scheduler(outcomes.append, make_poller=lambda h: pollers[h.name], clock=clock)
    await scheduler.start(hosts)
    await clock.advance(until)
    return scheduler, outcomes


async def test_ticks_do_not_drift_and_slow_host_skips_ticks_alone() -> None:
    clock = FakeClock()
    fast, slow = (
        Host(name="fast", address="a", interval=10),
        Host(name="slow", address="b", interval=10),
    )
    pollers = {
        "fast": FakePoller(fast, clock, duration=0.7),  # takes time, yet ticks stay on the grid
        "slow": FakePoller(slow, clock, duration=25.0),  # overruns two and a half intervals
    }
    scheduler, outcomes = await _run(clock, [fast, slow], pollers, until=100.0)
    await scheduler.stop()
    first = first_tick("fast", 10.0, 1_800_000_000.0, 1000.0)
    assert pollers["fast"].started == [first + 10 * k for k in range(10)]
    slow_first = first_tick("slow", 10.0, 1_800_000_000.0, 1000.0)
    assert (
        pollers["slow"].started
        == [slow_first + 30 * k for k in range(4)][: len(pollers["slow"].started)]
    )
    assert len(pollers["slow"].started) >= 3
    assert max(o.schedule_lag_s for o in outcomes) == 0.0


async def test_hung_host_never_delays_another_and_stop_cancels_it() -> None:
    clock = FakeClock()
    hung, ok = Host(name="hung", address="a", interval=5), Host(name="ok", address="b", interval=5)
    pollers = {"hung": FakePoller(hung, clock, duration=None), "ok": FakePoller(ok, clock)}
    scheduler, outcomes = await _run(clock, [hung, ok], pollers, until=60.0)
    assert len(pollers["hung"].started) == 1
    assert len(pollers["ok"].started) == 12
    assert {o.status.host for o in outcomes} == {"ok"}
    await scheduler.stop()
    assert pollers["hung"].closed and pollers["ok"].closed


async def test_sink_failure_does_not_stop_polling() -> None:
    clock = FakeClock()
    host = Host(name="h", address="a", interval=1)
    poller = FakePoller(host, clock)

    def broken_sink(outcome: PollOutcome) -> None:
        raise RuntimeError("consumer bug")

    scheduler = Scheduler(broken_sink, make_poller=lambda h: poller, clock=clock)
    await scheduler.start([host])
    await clock.advance(10.0)
    await scheduler.stop()
    assert len(poller.started) == 10


async def test_replace_hosts_starts_added_stops_removed_restarts_changed() -> None:
    clock = FakeClock()
    made: list[FakePoller] = []

    def make(host: Host) -> FakePoller:
        made.append(FakePoller(host, clock))
        return made[-1]

    scheduler = Scheduler(lambda o: None, make_poller=make, clock=clock)
    a, b, c = (Host(name=n, address=n) for n in "abc")
    await scheduler.start([a, b])
    await settle()
    await scheduler.replace_hosts([a, b.model_copy(update={"interval": 30.0}), c])
    await settle()
    by_name = {p.host.name: p for p in made if not p.closed}
    assert sorted(p.host.name for p in made) == ["a", "b", "b", "c"]
    assert [p.closed for p in made if p.host.name == "b"] == [True, False]
    assert by_name["b"].host.interval == 30.0
    await scheduler.replace_hosts([c])
    assert sorted(h.name for h in scheduler.hosts) == ["c"]
    assert by_name["a"].closed and by_name["b"].closed and not by_name["c"].closed
    await scheduler.stop()
    assert all(p.closed for p in made)
