"""Putting the alert parts together, for `sshmon run` and the `sshmon alerts` commands.

loaded = runtime.loaded(config.alerts, config.inventory, data_dir)  # config: the one loader
rt = runtime.build(loaded, store_events=writer.submit_alert_event, link_base=url)
await rt.start()                          # state loaded, outbox dispatcher up
rt.engine.observe(status, points, now)    # from the poller's sink, every poll
task = asyncio.create_task(rt.engine.run(5.0))  # ticks + persistence (+ outbox rows)
rt.reconfigure(runtime.loaded(...))     # SIGHUP: rules, routes and hosts together
task.cancel(); await rt.stop()            # flushes state; the outbox keeps the undelivered

engine ─(state + notices, one transaction)─► alerts.db ─► Dispatcher ─► Notifier ─► Apprise
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.dispatch import Dispatcher
from alerts.engine import AlertEngine
from alerts.notify import Notifier
from alerts.outbox import OutboxStore
from poller.inventory import Inventory
from store.records import AlertEvent


@dataclass(frozen=True)
class Loaded:
    """The parts of the config file the alerts need, taken from the one loader
    (sshmon.config.load), so the alerts never read the file on their own."""

    config: AlertsConfig
    inventory: Inventory
    db_url: str
    base_dir: Path


def loaded(config: AlertsConfig, inventory: Inventory, data_dir: Path) -> Loaded:
    """`alerts:` as validated with the rest of the file; `data_dir` (poller.data_dir) holds
    alerts.db unless `alerts.db_url` names another database."""
    if config.db_url:
        url = config.db_url
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'alerts.db'}"
    # relative paths in routes (attachments, templates) are read beside the config file
    return Loaded(config, inventory, url, inventory.path.parent)


@dataclass
class AlertsRuntime:
    engine: AlertEngine
    notifier: Notifier
    dispatcher: Dispatcher
    db: AlertsDB
    clock: Callable[[], float]
    link_base: str | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.engine.load, self.clock())  # before any poll arrives
        await self.notifier.start()
        await self.dispatcher.start()

    async def stop(self) -> None:
        if await asyncio.to_thread(self.engine.flush):
            self.dispatcher.wake()
        await self.dispatcher.stop()
        await self.notifier.stop()
        self.db.close()

    def reconfigure(self, loaded: Loaded) -> None:
        """Rules, routes and hosts of a reloaded file, all or nothing: routes are built first,
        so a route Apprise refuses (NotifyConfigError) leaves everything as it was."""
        config = with_link_base(loaded.config, self.link_base)
        self.notifier.check(config)
        self.notifier.reconfigure(config)
        self.dispatcher.config = config
        self.engine.reconfigure(config, loaded.inventory.hosts, self.clock())
        self.dispatcher.wake()  # notices waiting for a route that now exists


def with_link_base(config: AlertsConfig, fallback: str | None) -> AlertsConfig:
    """`alerts.link_base` if set, else what `sshmon run` knows (web.base_url or its address)."""
    if config.link_base or not fallback:
        return config
    return config.model_copy(update={"link_base": fallback})


def build(
    loaded: Loaded,
    *,
    store_events: Callable[[AlertEvent], None] | None = None,
    clock: Callable[[], float] = time.time,
    link_base: str | None = None,
    owner: str = "",
) -> AlertsRuntime:
    """`owner`: "K/N" for `sshmon poll --shard K/N`, so pollers sharing a database each
    deliver only the notices they wrote."""
    config = with_link_base(loaded.config, link_base)
    db = AlertsDB(loaded.db_url)
    notifier = Notifier(config, db=db, base_dir=loaded.base_dir, clock=clock)
    engine = AlertEngine(
        config,
        loaded.inventory.hosts,
        store_events=store_events,
        db=db,
        clock=clock,
        owner=owner,
    )
    dispatcher = Dispatcher(
        config, notifier, OutboxStore(db, owner), clock=clock, delivered=engine.delivered
    )
    engine.on_persisted = dispatcher.wake
    return AlertsRuntime(engine, notifier, dispatcher, db, clock, link_base)

