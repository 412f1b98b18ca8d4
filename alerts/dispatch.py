"""From the outbox to the routes: grouping, retries with backoff, giving up with a reason.

After Alertmanager's dispatcher: notices of one route that share a group key (`group_by`)
go out together, `group_wait` after the first one (so the other hosts of an outage join
it), then at most every `group_interval`. A failed group is retried with doubling delays;
one that no route accepted for `retry.give_up_after` is given up, logged and stored.

Everything it decides comes from the outbox rows, so after a restart it carries on where the
last process stopped. Database work runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from enum import StrEnum

from alerts.config import AlertsConfig, Route
from alerts.messages import compose_group
from alerts.notify import Notifier
from alerts.outbox import OutboxStore, Row
from alerts.persist import Key

log = logging.getLogger(__name__)
IDLE_S = 30.0  # look at the outbox at least this often (another process may have written)


class GiveUp(StrEnum):
    """Why notices were given up (stored with them, and logged)."""

    ROUTE_GONE = "route no longer in the config"
    TOO_LONG = "no delivery within retry.give_up_after"


class Dispatcher:
    def __init__(
        self,
        config: AlertsConfig,
        notifier: Notifier,
        outbox: OutboxStore,
        *,
        clock: Callable[[], float] = time.time,
        delivered: Callable[[Sequence[Key], float], None] | None = None,
    ) -> None:
        self.config = config
        self._notifier = notifier
        self._outbox = outbox
        self._clock = clock
        self._delivered = delivered
        self._last_sent: dict[tuple[str, str], float] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def wake(self) -> None:
        """New rows were committed: look now rather than at the next planned time."""
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="alert dispatch")

    async def stop(self, drain_s: float = 5.0) -> None:
        """Send what is pending now, without waiting for group_wait (a stop flushes), for at
        most `drain_s`; whatever is left stays in the outbox for the next start."""
        if self._task is None:
            return
        self._stopping = True
        self.wake()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), drain_s)
        except TimeoutError:
            log.warning("notifications still pending at shutdown; they are sent after restart")
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def idle(self) -> None:
        """Until nothing in the outbox is due (tests, shutdown)."""
        self.wake()
        await self._idle.wait()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            stopping = self._stopping
            try:
                wait = await self.dispatch(force=stopping)
            except Exception:  # the database may be away for a while: keep the loop alive
                log.exception("alert dispatch failed; trying again")
                wait = IDLE_S
            if stopping:
                return
            if wait > 0:
                self._idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), min(max(wait, 0.05), IDLE_S))

    async def dispatch(self, force: bool = False) -> float:
        """Send every group that is due (`force`: every group not waiting for a retry);
        returns the seconds until the next one is due."""
        rows = await asyncio.to_thread(self._outbox.pending)
        now = self._clock()
        groups: dict[tuple[str, str], list[Row]] = {}
        for row in rows:
            groups.setdefault((row.notice.route, row.notice.group), []).append(row)
        routes = {r.name: r for r in self.config.routes}
        due, later = [], math.inf
        for key, items in groups.items():
            route = routes.get(key[0])
            at = self._due(None if force else route, key, items)
            if at <= now:
                due.append((key, items))
            else:
                later = min(later, at - now)
        if due:
            await asyncio.gather(*(self._send(routes.get(k[0]), k, it) for k, it in due))
            return 0.0
        return later

    def _due(self, route: Route | None, key: tuple[str, str], items: list[Row]) -> float:
        retry_at = max(r.next_try for r in items)
        if route is None:
            return retry_at  # given up at once in _send
        at = min(r.created_at for r in items) + route.group_wait
        last = self._last_sent.get(key)
        if last is not None:
            at = max(at, last + route.group_interval)
        return max(at, retry_at)

    async def _send(self, route: Route | None, key: tuple[str, str], items: list[Row]) -> None:
        ids = [r.id for r in items]
        if route is None:
            await self._give_up(key, items, GiveUp.ROUTE_GONE, key[0])
            return
        message = compose_group(route.name, [r.notice for r in items])
        attempt = max(r.attempts for r in items) + 1
        try:
            result = await self._notifier.send_once(message, f"outbox-{ids[0]}", attempt)
            ok, reason = result.ok, result.reason
        except Exception as exc:  # Apprise raising must not lose the rows: retry them
            ok, reason = False, f"{type(exc).__name__}: {exc}"
        now = self._clock()
        if ok:
            await asyncio.to_thread(self._outbox.sent, ids)
            self._last_sent[key] = now
            if self._delivered is not None:
                keys = [(r.notice.rule, r.notice.host, r.notice.dev) for r in items]
                self._delivered(keys, now)
            return
        retry = self.config.retry
        if now - min(r.created_at for r in items) >= retry.give_up_after:
            detail = f"{retry.give_up_after:g} s, last: {reason}"
            await self._give_up(key, items, GiveUp.TOO_LONG, detail)
            return
        delay = min(retry.max_delay, retry.first_delay * 2 ** (attempt - 1))
        await asyncio.to_thread(self._outbox.retry_later, ids, now + delay, reason)

    async def _give_up(
        self, key: tuple[str, str], items: list[Row], why: GiveUp, detail: str
    ) -> None:
        reason = f"{why.value} ({detail})"
        log.error(
            "route %s: gave up on %d notice(s) of group %s: %s", key[0], len(items), key[1], reason
        )
        await asyncio.to_thread(self._outbox.give_up, [r.id for r in items], reason)
