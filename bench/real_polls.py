"""Polls of the real capture, as the simulator's hosts send them, for the store benchmarks.

`poller_bench.py`'s simulator answers every host with a capture of this machine, so the
rows `sshmon run` stores per poll are those of that capture (issue 12's sections: links,
TCP states, PSI, conntrack, softnet ... ~102 points a fast poll, ~129 a slow one here),
not the ~51 of tests/api/synth.py. `RealPolls` runs one `HostPoller` over the capture
(bench/poll_cost.py's replay link: moving uptime, every rate derived) and hands out its
outcomes relabelled per host, each host at its own point of the slow-round cycle.
"""

from __future__ import annotations

import asyncio
import dataclasses
import zlib
from pathlib import Path

from poll_cost import _Clock, _ReplayLink, _templates

from poller.inventory import Host
from poller.points import HostInfo, Point, PollStatus
from poller.poll import HostPoller


@dataclasses.dataclass(frozen=True)
class HostPoll:
    points: list[Point]
    status: PollStatus
    info: HostInfo | None


class RealPolls:
    """One cycle of the capture's polls (`slow_every` of them), reused for every host."""

    def __init__(self, capture: Path | None = None, slow_every: int = 12) -> None:
        fast, slow = _templates(capture)
        clock = _Clock()
        poller = HostPoller(
            Host(name="capture", address="127.0.0.1", slow_every=slow_every),
            _ReplayLink(fast, slow, clock),
            clock,
        )
        loop = asyncio.new_event_loop()
        try:
            for _ in range(2 * slow_every):  # warm: every rate has a previous snapshot
                loop.run_until_complete(poller.poll())
            self.cycle = [loop.run_until_complete(poller.poll()) for _ in range(slow_every)]
        finally:
            loop.close()
        self.t0 = self.cycle[0].status.ts

    def poll(self, host: str, index: int, ts: float) -> HostPoll:
        """Host `host`'s poll number `index` (0, 1, ...) at `ts`."""
        k = (index + zlib.crc32(host.encode())) % len(self.cycle)
        o = self.cycle[k]
        points = [Point(p.metric, host, p.dev, ts, p.value) for p in o.points]
        status = o.status._replace(host=host, ts=ts)
        info = None
        if o.host_info is not None:
            info = dataclasses.replace(o.host_info, host=host, ts=ts)
        return HostPoll(points, status, info)

    def rows_per_poll(self) -> float:
        return sum(len(o.points) for o in self.cycle) / len(self.cycle)
