"""Delivery through Apprise, off the poll path.

Alert notices reach `send_once()` through the outbox dispatcher (alerts/dispatch.py), which
owns grouping, retries and giving up. The queue below serves direct messages (tests, the
test notification): each route has its own queue and worker task, so a slow or dead
channel only delays itself.
A message is tried up to `retry.attempts` times with doubling delays; every attempt (success,
failure and Apprise's reason) is logged and written to the delivery log. Apprise is blocking
(requests), so each attempt runs in a worker thread. Messages still queued at `stop()` are
written as `queued` and sent again by the next `start()`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import apprise

from alerts.config import AlertsConfig, Route
from alerts.db import AlertsDB
from alerts.deliveries import DeliveryLog
from alerts.errors import NotifyConfigError, UnknownRouteError
from alerts.messages import Message

log = logging.getLogger(__name__)
QUEUE_LIMIT = 10_000  # per route; beyond it messages are dropped (and logged), polling goes on


@dataclass(frozen=True, slots=True)
class Attempt:
    message_id: str
    route: str
    attempt: int
    ok: bool
    outcome: str  # sent | failed | gave_up
    reason: str


@dataclass(slots=True)
class _Channel:
    route: Route
    apprise: apprise.Apprise
    queue: asyncio.Queue[tuple[str, Message]]


def resolve_urls(route: Route, env: Mapping[str, str]) -> list[str]:
    """Apprise URLs of a route, `env:NAME` entries read from the environment."""
    urls: list[str] = []
    for url in route.urls:
        if url.startswith("env:"):
            name = url[4:]
            if not env.get(name):
                raise NotifyConfigError(
                    f"route {route.name!r}: environment variable {name} is not set"
                )
            urls += env[name].replace(",", " ").split()
        else:
            urls.append(url)
    return urls


class Notifier:
    def __init__(
        self,
        config: AlertsConfig,
        *,
        db: AlertsDB | None = None,
        base_dir: Path = Path("."),
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.log = DeliveryLog(db) if db is not None else None
        self._clock = clock
        self._sleep = sleep
        self._env = os.environ if env is None else env
        self._base_dir = base_dir
        self._channels = self._channels_for(config)
        self._tasks: list[asyncio.Task[None]] = []

    def _channels_for(self, config: AlertsConfig) -> dict[str, _Channel]:
        saved, self.config = self.config, config
        try:
            shared = self._apprise_config(self._base_dir)
            return {r.name: self._channel(r, self._env, shared) for r in config.routes}
        finally:
            self.config = saved

    def check(self, config: AlertsConfig) -> None:
        """Raise NotifyConfigError if `config`'s routes cannot be built (before a reload)."""
        self._channels_for(config)

    def reconfigure(self, config: AlertsConfig) -> None:
        """Take new routes while running (SIGHUP, changed file). Routes are built first, so a
        route Apprise refuses raises here and the running ones stay. Workers of routes that
        exist before and after keep their queues; new routes get workers, gone ones stop."""
        channels = self._channels_for(config)
        running = bool(self._tasks)
        for name, channel in channels.items():
            old = self._channels.get(name)
            if old is not None:
                channel.queue = old.queue
        self.config = config
        self._channels = channels
        if running:
            have = {t.get_name(): t for t in self._tasks}
            for name, task in have.items():
                if name.removeprefix("notify:") not in channels:
                    task.cancel()
            self._tasks = [
                have.get(f"notify:{name}")
                or asyncio.create_task(self._work(c.queue, name), name=f"notify:{name}")
                for name, c in channels.items()
            ]

    def _apprise_config(self, base_dir: Path) -> apprise.AppriseConfig | None:
        if self.config.apprise_config is None:
            return None
        path = Path(self.config.apprise_config).expanduser()
        path = path if path.is_absolute() else base_dir / path
        if not path.is_file():
            raise NotifyConfigError(f"Apprise config file {path} does not exist")
        shared = apprise.AppriseConfig()
        if not shared.add(str(path)):
            raise NotifyConfigError(f"Apprise config file {path} could not be read")
        return shared

    def _channel(
        self, route: Route, env: Mapping[str, str], shared: apprise.AppriseConfig | None
    ) -> _Channel:
        ap = apprise.Apprise()
        for url in resolve_urls(route, env):
            if not ap.add(url):
                # never echo the URL: it usually carries a token
                raise NotifyConfigError(
                    f"route {route.name!r}: Apprise does not accept one of its URLs"
                )
        if route.tags:
            if shared is None:
                raise NotifyConfigError(
                    f"route {route.name!r} uses tags but `apprise_config` is not set"
                )
            ap.add(shared)
        return _Channel(route, ap, asyncio.Queue(QUEUE_LIMIT))

    @property
    def routes(self) -> list[str]:
        return list(self._channels)

    # the queue side ------------------------------------------------------------------

    def submit(self, message: Message) -> str | None:
        """Queue a message for its route without waiting; returns its id (None if dropped)."""
        channel = self._channels.get(message.route)
        if channel is None:
            log.error("no route %r for a message about %s", message.route, message.host)
            return None
        message_id = uuid.uuid4().hex
        try:
            channel.queue.put_nowait((message_id, message))
        except asyncio.QueueFull:
            log.error("route %s: queue full, dropped: %s", message.route, message.title)
            return None
        return message_id

    async def start(self) -> None:
        if self.log is not None:
            for message_id, message in await asyncio.to_thread(self.log.take_queued):
                if message.route in self._channels:
                    self._channels[message.route].queue.put_nowait((message_id, message))
        self._tasks = [
            asyncio.create_task(self._work(c.queue, name), name=f"notify:{name}")
            for name, c in self._channels.items()
        ]

    async def join(self) -> None:
        """Wait until every queued message has been delivered or given up (tests, shutdown)."""
        await asyncio.gather(*(c.queue.join() for c in self._channels.values()))

    async def stop(self, drain_s: float = 5.0) -> None:
        try:
            await asyncio.wait_for(self.join(), drain_s)
        except TimeoutError:
            log.warning("notifications still queued at shutdown; they are sent after restart")
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        left = [item for c in self._channels.values() for item in _drain(c.queue)]
        if left and self.log is not None:
            await asyncio.to_thread(self.log.keep_queued, left, self._clock())

    async def _work(self, queue: asyncio.Queue[tuple[str, Message]], name: str) -> None:
        # the route is looked up per message: a reload may have replaced its Apprise URLs
        while True:
            message_id, message = await queue.get()
            try:
                await self.deliver(message, message_id)
            except Exception:  # a worker must outlive any one message; the trace is logged
                log.exception("route %s: delivery of %s crashed", name, message_id)
            finally:
                queue.task_done()

    # one message, with retries ------------------------------------------------------------

    async def send_once(self, message: Message, message_id: str, attempt: int) -> Attempt:
        """One try, logged and recorded; the outbox dispatcher owns retries and giving up."""
        channel = self._channels.get(message.route)
        if channel is None:
            raise UnknownRouteError(f"no route named {message.route!r}")
        ok, reason = await asyncio.to_thread(_send, channel, message)
        result = Attempt(message_id, message.route, attempt, ok, "sent" if ok else "failed", reason)
        await self._record(message, result)
        return result

    async def deliver(self, message: Message, message_id: str | None = None) -> list[Attempt]:
        """Send now (retrying with backoff); used by the workers and by the test command."""
        channel = self._channels.get(message.route)
        if channel is None:
            raise UnknownRouteError(
                f"no route named {message.route!r} (have: {', '.join(self._channels)})"
            )
        message_id = message_id or uuid.uuid4().hex
        retry = self.config.retry
        attempts: list[Attempt] = []
        for n in range(1, retry.attempts + 1):
            ok, reason = await asyncio.to_thread(_send, channel, message)
            last = n == retry.attempts
            outcome = "sent" if ok else ("gave_up" if last else "failed")
            attempt = Attempt(message_id, message.route, n, ok, outcome, reason)
            attempts.append(attempt)
            await self._record(message, attempt)
            if ok or last:
                break
            await self._sleep(min(retry.max_delay, retry.first_delay * 2 ** (n - 1)))
        return attempts

    async def _record(self, message: Message, a: Attempt) -> None:
        level = logging.INFO if a.ok else logging.WARNING
        log.log(
            level,
            "notify route=%s host=%s attempt=%d outcome=%s reason=%s title=%r",
            a.route,
            message.host,
            a.attempt,
            a.outcome,
            a.reason or "-",
            message.title,
        )
        if self.log is not None:
            await asyncio.to_thread(self.log.record, message, a, self._clock())


def _send(channel: _Channel, message: Message) -> tuple[bool, str]:
    tags = channel.route.tags or apprise.common.MATCH_ALL_TAG
    result = channel.apprise.notify(
        body=message.body,
        title=message.title,
        notify_type=apprise.NotifyType(message.notify_type),
        tag=tags,
    )
    try:
        problems = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
        if bool(result):
            return True, ""
        return False, "; ".join(problems) or f"Apprise status {result.status.name.lower()}"
    finally:
        result.close()


def _drain(queue: asyncio.Queue[tuple[str, Message]]) -> list[tuple[str, Message]]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
        queue.task_done()
    return items
