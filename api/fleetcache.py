"""The overview's data kept in memory, so the fleet page does not re-read the store.

Reading every host's latest values costs about a second at 2,000 hosts (≈150k rows from
the `latest` table turned into Python objects), far too slow per page view, while the
overview needs only a handful of cells per host that change once per poll. So:

* every poll published on the hub updates its host's cells and state at once (a tap);
* a background task reloads everything from the store now and then: at start-up, and
  again every `refresh_s` (fast when no poller feeds this process's hub, e.g. an API
  replica with `sshmon serve`; slow when it does, only to pick up hosts that are quiet).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, NamedTuple

from api import fleet
from api.context import AppContext
from poller.points import Point, PollStatus
from store import queries
from store.errors import StoreError

log = logging.getLogger(__name__)
REFRESH_FED_S = 300.0  # a poller publishes here: the store only backs it up
REFRESH_UNFED_S = 15.0  # no poller in this process: the store is the only source


class LastPoll(NamedTuple):
    ts: float
    state: str
    reason: str


class FleetCache:
    def __init__(self) -> None:
        self.cells: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, LastPoll] = {}
        self.loaded = asyncio.Event()

    def apply(self, host: str, status: PollStatus, points: list[Point]) -> None:
        """A fresh poll (hub tap). Cells merge: fs comes only with the slow sections."""
        self.polls[host] = LastPoll(status.ts, str(status.state), status.reason)
        if points:
            cells = fleet.row_values((p.metric, p.dev, p.value) for p in points)
            self.cells.setdefault(host, {}).update(cells)

    def replace(self, latest: list[Any], polls: list[Any]) -> None:
        """A full reload from the store; a poll newer than the snapshot is kept."""
        self.cells = fleet.cells_by_host(latest)
        fresh = {p.host: LastPoll(p.ts, p.state, p.reason) for p in polls}
        for host, mine in self.polls.items():
            if host in fresh and mine.ts > fresh[host].ts:
                fresh[host] = mine
        self.polls = fresh
        self.loaded.set()

    def rows(self, ctx: AppContext, alerts: Mapping[str, int], now: float) -> list[fleet.Row]:
        return fleet.build(ctx.inventory.hosts, self.cells, self.polls, alerts, now)


async def reload(ctx: AppContext, cache: FleetCache) -> None:
    latest, polls = await asyncio.gather(
        ctx.queries.run(queries.latest_all), ctx.queries.run(queries.last_poll_all)
    )
    cache.replace(latest, polls)


async def keep_fresh(ctx: AppContext, cache: FleetCache) -> None:
    """Background task for the app's lifetime."""
    while True:
        published = ctx.hub.published
        try:
            await reload(ctx, cache)
        except StoreError as exc:  # keep serving what we have; say why it is not newer
            log.warning("fleet overview reload failed: %s", exc)
        await asyncio.sleep(REFRESH_UNFED_S)
        if ctx.hub.published > published:
            await asyncio.sleep(REFRESH_FED_S - REFRESH_UNFED_S)
