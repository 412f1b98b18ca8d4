"""The overview's 1-hour CPU sparklines, kept in memory per host.

The store answers one host's series at a time; 2,000 of those per page view would cost
seconds, while the hub already sees every poll. So sparklines are a ring of per-minute
averages fed by the hub, seeded once at start-up from the store (a background task, one
host after another, so the first page after a restart still has history).

A host's ring is one flat array of doubles (bucket start, sum, count, bucket start, …):
24 bytes a minute, 1.5 KB a host once the hour is full, where a deque of [start, sum,
count] lists held ~9 KB (a list and two floats a minute). The benchmarks' minute-long
windows never filled it; a fleet watched for an hour does (issue 15).
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Iterable
from typing import Final

BUCKET_S: Final = 60
BUCKETS: Final = 60  # one hour


class Sparks:
    def __init__(self) -> None:
        # host -> bucket start, sum, count, … oldest first, BUCKETS at most
        self._rings: dict[str, array[float]] = {}
        # set once the start-up seeding has been through every host (tests wait on it)
        self.seeded = asyncio.Event()

    def add(self, host: str, ts: float, value: float) -> None:
        bucket = ts - ts % BUCKET_S
        ring = self._rings.get(host)
        if ring is None:
            ring = self._rings[host] = array("d")
        if ring and ring[-3] == bucket:
            ring[-2] += value
            ring[-1] += 1
        elif not ring or bucket > ring[-3]:
            ring.extend((bucket, value, 1))
            if len(ring) > 3 * BUCKETS:
                del ring[:3]
        # an older bucket (a late or seeded point) is ignored: seeding happens before polls

    def seed(self, host: str, points: Iterable[tuple[float, float]]) -> None:
        """(ts, avg) pairs from the store, oldest first; only fills an empty ring."""
        if self._rings.get(host):
            return
        for ts, value in points:
            self.add(host, ts, value)

    def values(self, now: float) -> dict[str, list[float | None]]:
        """host -> 60 per-minute averages ending at the current minute (None: no poll)."""
        last = now - now % BUCKET_S
        first = last - (BUCKETS - 1) * BUCKET_S
        out: dict[str, list[float | None]] = {}
        for host, ring in self._rings.items():
            row: list[float | None] = [None] * BUCKETS
            for bucket, total, count in zip(ring[0::3], ring[1::3], ring[2::3], strict=True):
                if first <= bucket <= last:
                    row[int((bucket - first) // BUCKET_S)] = round(total / count, 2)
            out[host] = row
        return out

    def forget(self, keep: Iterable[str]) -> None:
        """Drop hosts no longer in the inventory."""
        keep = set(keep)
        for host in [h for h in self._rings if h not in keep]:
            del self._rings[host]
