"""Putting the alert parts together, for `sshmon run` and the `sshmon alerts` commands.

rt = runtime.from_file(path, store_events=writer.submit_alert_event)
await rt.start()                          # delivery workers up, state loaded
rt.engine.observe(status, points, now)    # from the poller's sink, every poll
task = asyncio.create_task(rt.engine.run(5.0))  # ticks + persistence
...
task.cancel(); await rt.stop()            # flushes state, keeps undelivered messages
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alerts import config as alerts_config
from alerts.config import AlertsConfig
from alerts.db import AlertsDB
from alerts.engine import AlertEngine
from alerts.notify import Notifier
from poller import inventory as inventory_mod
from poller import yamlfile
from poller.inventory import Inventory
from poller.settings import PollerSettings
from store.records import AlertEvent


@dataclass(frozen=True)
class Loaded:
    """The parts of the config file the alerts need."""

    config: AlertsConfig
    inventory: Inventory
    db_url: str
    base_dir: Path


def load(path: Path) -> Loaded:
    """Read and validate the file; raises poller.yamlfile.ConfigError listing every problem."""
    doc = yamlfile.load(path)
    inv = inventory_mod.load(path, doc)
    groups = frozenset(g for h in inv.hosts for g in h.groups)
    doc_groups = (doc.data or {}).get("groups") or {}
    config = alerts_config.load(
        doc, frozenset(h.name for h in inv.hosts), groups | frozenset(doc_groups)
    )
    poller = yamlfile.validate(doc, PollerSettings, inv.extra.get("poller") or {}, loc=("poller",))
    data_dir = poller.data_path()
    if config.db_url:
        url = config.db_url
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'alerts.db'}"
    return Loaded(config, inv, url, path.parent)


@dataclass
class AlertsRuntime:
    engine: AlertEngine
    notifier: Notifier
    db: AlertsDB
    clock: Callable[[], float]

    async def start(self) -> None:
        self.engine.load(self.clock())
        await self.notifier.start()

    async def stop(self) -> None:
        self.engine.flush()
        await self.notifier.stop()
        self.db.close()


def build(
    loaded: Loaded,
    *,
    store_events: Callable[[AlertEvent], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> AlertsRuntime:
    db = AlertsDB(loaded.db_url)
    notifier = Notifier(loaded.config, db=db, base_dir=loaded.base_dir, clock=clock)
    engine = AlertEngine(
        loaded.config,
        loaded.inventory.hosts,
        store_events=store_events,
        notifier=notifier,
        db=db,
        clock=clock,
    )
    return AlertsRuntime(engine, notifier, db, clock)


def from_file(
    path: Path,
    *,
    store_events: Callable[[AlertEvent], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> AlertsRuntime:
    return build(load(path), store_events=store_events, clock=clock)
