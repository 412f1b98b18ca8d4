"""Poll every host at its own fixed rate, each in its own task, results to a sink.

Each host ticks at `first + k·interval` on the monotonic clock, so a tick never drifts by
the time polls take; a poll that overruns skips the ticks it missed instead of bursting to
catch up. The first tick sits at a stable phase: a hash of the host name picks an offset in
[0, interval) of the wall clock, so 2,000 hosts at 10 s spread evenly over the 10 s and
keep their phase across restarts. One task per host: a slow or hung host (every poll has a
timeout anyway) only ever delays itself.

First ticks are rounded up to a grid of POLL_SLOT_S on the monotonic clock, so the hosts
whose phases fall in one slot start in the same turn of the event loop and their answers
come back together. Ten polls handled in one go instead of ten wake-ups each handling
one cost the poller 34 to 45 % less CPU per poll at 100 polls a second (bench/README.md,
"Polls in slots"); a host's phase is then kept to within a slot.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Protocol

from poller.inventory import Host
from poller.poll import HostPoller, PollOutcome
from poller.ssh import Connector
from poller.transport import LocalLink, SshLink, link_for

log = logging.getLogger(__name__)

Sink = Callable[[PollOutcome], None]
LAG_WINDOW = 10_000  # recent ticks kept for the lag percentiles
# How long stop/reload waits for cancelled host tasks. Closing a connection takes
# milliseconds; a task still running after this is stuck and is abandoned, not waited for.
STOP_DEADLINE_S = 5.0
# The grid first ticks are rounded to. 0.1 s took most of the gain: 0.25 s to 1 s cut the
# CPU a little more but held a slot's polls back by tens of milliseconds for each other.
POLL_SLOT_S = 0.1


class Clock(Protocol):
    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    async def sleep_until(self, deadline: float) -> None: ...


class SystemClock:
    """The real clocks; the only place the scheduler reads time from the system."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        """Until `deadline` exactly, as the loop's timer: hosts of one slot sleeping until
        the same moment wake in the same turn of the loop (`asyncio.sleep(delay)` would add
        the delay to a clock read a few microseconds later for each)."""
        loop = asyncio.get_running_loop()
        if deadline <= loop.time():
            return
        woken = loop.create_future()
        timer = loop.call_at(deadline, _wake, woken)
        try:
            await woken
        finally:
            timer.cancel()


def _wake(woken: asyncio.Future[None]) -> None:
    if not woken.done():
        woken.set_result(None)


class Poller(Protocol):
    host: Host

    async def poll(self) -> PollOutcome: ...
    async def close(self) -> None: ...


def phase(name: str, interval: float) -> float:
    """A stable offset in [0, interval) for `name`: same name, same phase, every run."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * interval


def first_tick(
    name: str, interval: float, wall: float, mono: float, slot: float = POLL_SLOT_S
) -> float:
    """Monotonic time of the first tick: the next wall-clock moment ≡ phase (mod interval),
    rounded up to the monotonic grid of `slot` that every host shares."""
    offset = phase(name, interval)
    wall_tick = math.floor((wall - offset) / interval) * interval + offset
    if wall_tick < wall:
        wall_tick += interval
    first = mono + (wall_tick - wall)
    return math.ceil(first / slot) * slot if slot > 0 else first


def next_index(k: int, first: float, interval: float, now: float) -> int:
    """Index of the next tick after tick k finished at `now`: skip ticks already past."""
    return max(k + 1, math.ceil((now - first) / interval))


@dataclass
class LagStats:
    """Schedule lag (how late a poll started after its tick), recent window."""

    recent: deque[float]

    def percentile(self, q: float) -> float | None:
        if not self.recent:
            return None
        ordered = sorted(self.recent)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Scheduler:
    """Runs one task per host; `replace_hosts` applies an inventory reload."""

    def __init__(
        self,
        sink: Sink,
        *,
        make_poller: Callable[[Host], Poller],
        clock: Clock | None = None,
        stop_deadline_s: float = STOP_DEADLINE_S,
    ) -> None:
        self._sink = sink
        self._make_poller = make_poller
        self._clock = clock or SystemClock()
        self._stop_deadline_s = stop_deadline_s
        self._tasks: dict[str, tuple[Host, asyncio.Task[None]]] = {}
        # tasks that outlived their stop deadline: kept referenced (a task only weakly
        # held by the loop can vanish mid-await) and cancelled again on every later stop
        self._abandoned: set[asyncio.Task[None]] = set()
        self.lag = LagStats(deque(maxlen=LAG_WINDOW))

    @property
    def hosts(self) -> list[Host]:
        return [host for host, _ in self._tasks.values()]

    async def replace_hosts(self, hosts: Iterable[Host]) -> None:
        """Start added hosts, stop removed ones, restart changed ones; leave the rest be."""
        wanted = {h.name: h for h in hosts}
        stale = [n for n, (h, _) in self._tasks.items() if wanted.get(n) != h]
        await self._stop(stale)
        for name, host in wanted.items():
            if name not in self._tasks:
                task = asyncio.create_task(self._run(host), name=f"poll {name}")
                self._tasks[name] = (host, task)

    async def start(self, hosts: Iterable[Host]) -> None:
        await self.replace_hosts(hosts)

    async def stop(self) -> None:
        """Cancel every host task; each closes its own connection on the way out."""
        started, count = time.monotonic(), len(self._tasks)
        await self._stop(list(self._tasks))
        log.info("stopped %d host tasks in %.1f s", count, time.monotonic() - started)

    async def _stop(self, names: list[str]) -> None:
        """Cancel and wait, but not forever: a task still running after the deadline is
        abandoned with a log line, so a stop or reload always finishes (and `sshmon run`
        still flushes) even if some library swallowed the cancel."""
        tasks = [self._tasks.pop(n)[1] for n in names]
        for task in (*tasks, *self._abandoned):
            task.cancel()
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=self._stop_deadline_s)
        for task in pending:
            log.warning(
                "%s did not end within %g s of being cancelled; abandoned",
                task.get_name(),
                self._stop_deadline_s,
            )
            self._abandoned.add(task)
            task.add_done_callback(self._abandoned.discard)

    async def _run(self, host: Host) -> None:
        poller = self._make_poller(host)
        clock = self._clock
        try:
            first = first_tick(host.name, host.interval, clock.time(), clock.monotonic())
            k = 0
            while True:
                _raise_if_cancel_swallowed()
                due = first + k * host.interval
                await clock.sleep_until(due)
                lag = max(0.0, clock.monotonic() - due)
                self.lag.recent.append(lag)
                self._deliver(replace(await poller.poll(), schedule_lag_s=lag))
                # (no reference to the outcome survives the tick: 2,000 hosts' worth of
                # points kept alive between ticks only make full GC passes longer)
                k = next_index(k, first, host.interval, clock.monotonic())
        finally:
            await poller.close()

    def _deliver(self, outcome: PollOutcome) -> None:
        try:
            self._sink(outcome)
        except Exception:
            # a failing consumer must not stop this host's polling; it is logged loudly
            log.exception("result sink failed for %s", outcome.status.host)


def _raise_if_cancel_swallowed() -> None:
    """A cancel requested but never delivered (something below swallowed it, as
    asyncio.wait_for does in CPython gh-86296) still ends the host task: otherwise the task
    would poll on after its host was removed or the process told to stop."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def ssh_scheduler(
    sink: Sink,
    connector: Connector,
    clock: Clock | None = None,
    links: dict[str, SshLink | LocalLink] | None = None,
) -> Scheduler:
    """The production wiring (`sshmon run` and the tests alike): each host polled through
    its own link from `connector`. `links`, when given, is kept filled with each host's
    current link, so the caller can run an ad-hoc command (the web's process list) on the
    session the poller already holds rather than opening another."""
    real = clock or SystemClock()

    def make(host: Host) -> HostPoller:
        link = link_for(host, connector.connect, real.monotonic)
        if links is not None:
            links[host.name] = link
        return HostPoller(host, link, real)

    return Scheduler(sink, make_poller=make, clock=real)
