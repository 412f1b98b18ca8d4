"""Keep CPython's full garbage collections from stalling the poll loop.

With thousands of hosts the process holds millions of long-lived objects (connections,
channels, each host's previous readings). A full (generation 2) collection walks all of
them: measured 0.5 to 2.7 s per pass with 2,000 simulated hosts on a busy 2-vCPU machine,
several times a minute, each pass a stall of every host's schedule. Freezing what exists
once the hosts are connected (`gc.freeze`, Python ≥ 3.7) takes those objects out of
later passes: the same benchmark went from a p99 schedule lag of 1.3 to 3.3 s to 0.35 s.

The readings that every poll replaces still reach generation 2 (they live one interval)
and kept triggering full passes several times a minute, so automatic full collections are
switched off while the policy runs; young cycles are still collected by the generation 0/1
passes. Cycles that reach generation 2, and frozen objects that later become cyclic garbage
(a closed connection's object graph), are reclaimed by the explicit pass the policy makes
every `refreeze_every_s` (unfreeze, collect, freeze): one full pass an hour instead of
several a minute.

Young passes are made rarer too, from the start (the connect storm included): a
generation-0 pass every YOUNG_THRESHOLD net allocations instead of CPython's 700. A poll
allocates a few hundred objects that die by reference count within the poll, so at 700
the passes came several times a poll and mostly walked live in-flight polls: about 5 % of
the poller's CPU at 2,000 hosts (bench/poller_bench.py, CPU in the passes), and 0.79/0.71
against 0.73/0.69 ms per poll, connect CPU 3.4 against 2.7 ms a host (issue 15). Cyclic
garbage still triggers a pass once 20,000 objects of it pile up (a few MB at most).

Once frozen, generation-1 passes come every MIDDLE_THRESHOLD young passes instead of 10.
In `sshmon run` most of what survives a young pass lives one poll interval and no longer:
the readings the hub keeps for /metrics, each host's previous snapshot, the points queued
for the writer's next flush. A generation-1 pass every ~11 s (1,000 hosts at 10 s) walked
all of them a second time, about 80 ms a pass, and freed almost nothing: 77 to 87 µs of
CPU per poll (loop and writer threads), about half of the GC's (bench/README.md, issue 15,
h-c15e). Every ~110 s the pass costs the same, since what it walks is what is alive, but
ten times less often.
Cycles that became garbage after surviving a young pass (~1,000 objects a pass there) wait
that much longer to be freed.
"""

from __future__ import annotations

import gc
from typing import Protocol

REFREEZE_EVERY_S = 3600.0
YOUNG_THRESHOLD = 20_000  # generation-0 passes every this many net allocations (CPython: 700)
MIDDLE_THRESHOLD = 100  # generation-1 passes every this many young ones, once frozen (CPython: 10)
NO_AUTOMATIC_FULL = 1 << 30  # generation-2 threshold no run will ever reach


class Clock(Protocol):
    def monotonic(self) -> float: ...
    async def sleep_until(self, deadline: float) -> None: ...


def refreeze() -> None:
    gc.unfreeze()
    gc.collect()
    gc.freeze()


async def manage_gc(
    clock: Clock, *, settle_s: float, refreeze_every_s: float = REFREEZE_EVERY_S
) -> None:
    """Run for the life of `sshmon run`: freeze `settle_s` after start (give it the longest
    poll interval, so every host has connected), then refresh every `refreeze_every_s`.
    On cancel the thresholds are restored and everything unfrozen, so nothing outlives
    the poller."""
    start = clock.monotonic()
    thresholds = gc.get_threshold()
    try:
        gc.set_threshold(YOUNG_THRESHOLD, thresholds[1], thresholds[2])
        await clock.sleep_until(start + settle_s)
        refreeze()
        gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, NO_AUTOMATIC_FULL)
        k = 1
        while True:
            await clock.sleep_until(start + settle_s + k * refreeze_every_s)
            refreeze()
            k += 1
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
