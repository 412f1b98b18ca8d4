"""A clock tests move by hand (CONVENTIONS.md rule 10: tests never sleep to pass time)."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    """Monotonic and wall time that only move when the test says so.

    `sleep_until` parks the caller until `advance` moves time past its deadline; sleepers
    wake in deadline order and each gets to run before time moves on.
    """

    def __init__(self, mono: float = 1000.0, wall: float = 1_800_000_000.0) -> None:
        self.now = mono
        self._wall_offset = wall - mono
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self._wall_offset

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self.now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._seq), future))
        await future

    async def advance(self, seconds: float) -> None:
        await self.advance_to(self.now + seconds)

    async def advance_to(self, target: float) -> None:
        await settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            if not future.done():
                future.set_result(None)
            await settle()
        self.now = max(self.now, target)
        await settle()


async def settle(rounds: int = 20) -> None:
    """Let every ready task run until it blocks again (on the clock or on I/O)."""
    for _ in range(rounds):
        await asyncio.sleep(0)
