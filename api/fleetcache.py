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
from api.hub import Tap
from api.sparks import Sparks
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


class _Unread(NamedTuple):
    points: list[tuple[str, str, float]]  # (metric, dev, value) of the overview's metrics
    cells: frozenset[str]  # the cells they set (fleet.cells_set)


class FleetCache:
    def __init__(self) -> None:
        self._cells: dict[str, dict[str, Any]] = {}
        # host -> polls not yet turned into cells, oldest first: every poll of every host
        # lands here and the overview is read now and then, so the cells (rounding, sums)
        # are worked out when read, and only for the polls whose cells are not all
        # overwritten by a later one (issue 15)
        self._unread: dict[str, list[_Unread]] = {}
        self.polls: dict[str, LastPoll] = {}
        self.loaded = asyncio.Event()

    @property
    def cells(self) -> dict[str, dict[str, Any]]:
        """host -> its overview cells, every poll applied so far."""
        if self._unread:
            unread, self._unread = self._unread, {}
            for host, polls in unread.items():
                mine = self._cells.setdefault(host, {})
                for poll in polls:  # in order: a later poll's cells win
                    mine.update(fleet.row_values(poll.points))
        return self._cells

    def apply(self, host: str, status: PollStatus, points: list[Point]) -> None:
        """A fresh poll. Cells merge: fs comes only with the slow sections."""
        wanted = fleet.OVERVIEW_METRICS
        self.apply_shown(host, status, [p for p in points if p.metric in wanted])

    def apply_shown(self, host: str, status: PollStatus, shown_points: list[Point]) -> None:
        """`apply` with the poll's points already narrowed to the overview's metrics."""
        self.polls[host] = LastPoll(status.ts, str(status.state), status.reason)
        shown = [(p.metric, p.dev, p.value) for p in shown_points]
        if not shown:
            return
        new = _Unread(shown, fleet.cells_set(shown))
        # an older poll whose cells this one all sets again can never show: forget it
        kept = [u for u in self._unread.get(host, ()) if not u.cells <= new.cells]
        kept.append(new)
        self._unread[host] = kept

    def replace(self, latest: list[Any], polls: list[Any]) -> None:
        """A full reload from the store; a poll newer than the snapshot is kept."""
        self._unread.clear()  # the snapshot replaces every cell, as it always did
        self._cells = fleet.cells_by_host(latest)
        fresh = {p.host: LastPoll(p.ts, p.state, p.reason) for p in polls}
        for host, mine in self.polls.items():
            if host in fresh and mine.ts > fresh[host].ts:
                fresh[host] = mine
        self.polls = fresh
        self.loaded.set()

    def rows(self, ctx: AppContext, alerts: Mapping[str, int], now: float) -> list[fleet.Row]:
        return fleet.build(ctx.inventory.hosts, self.cells, self.polls, alerts, now)


def overview_tap(cache: FleetCache, sparks: Sparks) -> Tap:
    """The hub tap that keeps the overview's in-memory views current (fleet cells and CPU
    sparklines): one pass over a poll's ~130 points picks the few the overview shows, and
    both views read those. Two taps each walked every point of every poll (issue 15)."""
    wanted, spark = fleet.OVERVIEW_METRICS, fleet.SPARK_METRIC

    def tap(host: str, status: PollStatus, points: list[Point]) -> None:
        shown = [p for p in points if p.metric in wanted]
        for p in shown:
            if p.metric == spark and not p.dev:
                sparks.add(host, p.ts, p.value)
        cache.apply_shown(host, status, shown)

    return tap


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
