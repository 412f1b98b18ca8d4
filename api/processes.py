"""Top processes on demand: one `ps` per host at a time, its result shared for a few seconds.

The command itself (parsers.cmd_ps.COMMAND) is fixed text; the composition runs it on the
host's kept SSH session with a size cap (`AppContext.top_processes`). Here we only make
sure a refresh storm from many open tabs costs the target one process spawn, not many.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from parsers import cmd_ps

CACHE_S = 5.0


class ProcessLister:
    def __init__(
        self, run: Callable[[str], Awaitable[str]], clock: Callable[[], float] = time.time
    ):
        self._run = run
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._cache: dict[str, tuple[float, cmd_ps.ProcessList]] = {}

    async def get(self, host: str) -> tuple[float, cmd_ps.ProcessList]:
        """(time taken, listing). Raises ParseError, PollError or OSError from the run."""
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:  # concurrent callers wait for the one run and share it
            hit = self._cache.get(host)
            if hit and self._clock() - hit[0] < CACHE_S:
                return hit
            listing = cmd_ps.parse(await self._run(host))
            result = (self._clock(), listing)
            self._cache[host] = result
            return result
