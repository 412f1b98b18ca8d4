"""Live updates: an in-memory pub/sub between the poller's sink and SSE subscribers.

The poller calls `publish` once per poll, on the event loop. Publishing must never wait on
a browser: each subscriber has a bounded queue, and one that falls behind (a phone on a bad
link, a tab in the background) is dropped rather than allowed to block the poller or grow
memory. A dropped subscriber's stream ends; the browser's EventSource reconnects by itself
and starts from the current state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from poller.points import Point, PollStatus

QUEUE_SIZE = 256  # polls a subscriber may lag behind before it is dropped
Tap = Callable[[str, PollStatus, list[Point]], None]


class Published(NamedTuple):
    """A host's newest good poll as the hub keeps it for /metrics: when, and its readings.

    `seq` numbers every publish of one hub, so a new poll always has a new one: /metrics
    keeps a host's printed samples until its `seq` changes (api/metrics.py), without
    holding on to the readings they came from.
    """

    ts: float
    readings: Mapping[str, object]
    seq: int


@dataclass(eq=False)
class Subscription:
    """One live stream. `host` None: every host; `metrics` None: every metric."""

    host: str | None
    metrics: frozenset[str] | None
    queue: asyncio.Queue[dict[str, Any] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )
    dropped: bool = False

    def wants(self, host: str) -> bool:
        return self.host is None or self.host == host


class Hub:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        # synchronous listeners that keep in-memory views current (sparklines)
        self.taps: list[Tap] = []
        # host -> the newest parsed readings and their time, for /metrics under
        # node_exporter names (api/metrics.py leaves out hosts whose readings went stale)
        self.readings: dict[str, Published] = {}
        self.published = 0
        self.dropped = 0

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def subscribe(
        self, host: str | None = None, metrics: Iterable[str] | None = None
    ) -> Subscription:
        sub = Subscription(host, frozenset(metrics) if metrics is not None else None)
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)

    def publish(
        self,
        host: str,
        status: PollStatus,
        points: Iterable[Point],
        readings: Mapping[str, object] | None = None,
    ) -> None:
        """Fan one poll out to every interested subscriber without ever awaiting.

        `readings` (PollOutcome.readings) is optional: when given, /metrics exports this
        host's raw readings exactly as node_exporter would (api/metrics.py).
        """
        self.published += 1
        # the sink hands over the outcome's own list; copy only another iterable
        points = points if isinstance(points, list) else list(points)
        if readings:
            self.readings[host] = Published(status.ts, readings, self.published)
        for tap in self.taps:
            tap(host, status, points)
        for sub in list(self._subs):
            if not sub.wants(host):
                continue
            event = _event(host, status, points, sub.metrics)
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:
                self._drop(sub)

    def end(self, sub: Subscription) -> None:
        """End one stream now (its credential was revoked or signed out)."""
        if sub in self._subs:
            self._drop(sub, slow=False)

    def close(self) -> None:
        """End every stream (shutdown): subscribers see None and return."""
        for sub in list(self._subs):
            self._drop(sub)

    def _drop(self, sub: Subscription, slow: bool = True) -> None:
        self._subs.discard(sub)
        sub.dropped = True
        self.dropped += slow  # `dropped` counts subscribers that fell behind
        # make room for the end marker so the reader wakes up and closes its stream
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)


def _event(
    host: str, status: PollStatus, points: list[Point], metrics: frozenset[str] | None
) -> dict[str, Any]:
    return {
        "host": host,
        "ts": status.ts,
        "state": str(status.state),
        "reason": status.reason,
        "points": [
            [p.metric, p.dev, p.ts, p.value]
            for p in points
            if metrics is None or p.metric in metrics
        ],
    }
