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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from alerts import config as alerts_config
from alerts.config import AlertsConfig, Loc, Rule
from alerts.db import AlertsDB
from alerts.dispatch import Dispatcher
from alerts.effective import Effective, SourcedRule, layer, with_rules
from alerts.engine import AlertEngine
from alerts.notify import Notifier
from alerts.outbox import OutboxStore
from alerts.overrides import Override, OverrideStore
from poller import inventory as inventory_mod
from poller import yamlfile
from poller.inventory import Inventory
from poller.settings import PollerSettings
from store.records import AlertEvent


@dataclass(frozen=True)
class Loaded:
    """The parts of the config file the alerts need, taken from the one loader
    (sshmon.config.load), so the alerts never read the file on their own."""

    config: AlertsConfig
    inventory: Inventory
    db_url: str
    base_dir: Path
    # every rule of the file and the shipped list, disabled ones too, with where it is
    base: tuple[tuple[Loc, Rule], ...] = ()

    def effective(self, overrides: Iterable[Override]) -> Effective:
        """The file's rules with those changed in the UI layered over them."""
        base = self.base or tuple(
            (("alerts", "rules", i), r) for i, r in enumerate(self.config.rules)
        )
        return layer(base, overrides)


def loaded(
    config: AlertsConfig,
    inventory: Inventory,
    data_dir: Path,
    base: Iterable[tuple[Loc, Rule]] = (),
) -> Loaded:
    """`alerts:` as validated with the rest of the file (sshmon.config, the one loader);
    `data_dir` (poller.data_dir) holds alerts.db unless `alerts.db_url` names another
    database; `base` is every rule with where it came from, disabled ones too."""
    # relative paths in routes (attachments, templates) are read beside the config file
    return Loaded(config, inventory, _db_url(config, data_dir), inventory.path.parent, tuple(base))


def load(path: Path) -> Loaded:
    """The same straight from a file, for tests and tools holding only the path; sshmon's
    own commands read the file once through sshmon.config.load and call `loaded`."""
    doc = yamlfile.load(path)
    inv = inventory_mod.load(path, doc)
    groups = frozenset(g for h in inv.hosts for g in h.groups)
    doc_groups = (doc.data or {}).get("groups") or {}
    config, base = alerts_config.load_base(
        doc, frozenset(h.name for h in inv.hosts), groups | frozenset(doc_groups)
    )
    poller = yamlfile.validate(doc, PollerSettings, inv.extra.get("poller") or {}, loc=("poller",))
    enabled = config.model_copy(update={"rules": [r for _, r in base if r.enabled]})
    return Loaded(enabled, inv, _db_url(config, poller.data_path()), path.parent, tuple(base))


def _db_url(config: AlertsConfig, data_dir: Path) -> str:
    if config.db_url:
        url = config.db_url
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{data_dir / 'alerts.db'}"
    return url


@dataclass
class AlertsRuntime:
    engine: AlertEngine
    notifier: Notifier
    dispatcher: Dispatcher
    db: AlertsDB
    clock: Callable[[], float]
    link_base: str | None = None
    loaded: Loaded | None = None
    # rules changed in the UI or the API (alerts.overrides), kept here so a reload of the
    # file (SIGHUP) layers them again without a database read on the event loop
    overrides: tuple[Override, ...] = ()
    # one rule change at a time: each is planned against the rules the last one left
    rules_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def effective(self) -> Effective:
        """The rules in effect and where each comes from (alerts.effective.effective_rules)."""
        if self.loaded is None:
            return Effective(
                tuple(SourcedRule(r, "file", None) for r in self.engine.config.rules), ()
            )
        return self.loaded.effective(self.overrides)

    def apply_overrides(self, overrides: Iterable[Override]) -> Effective:
        """Rules changed through the UI or the API take effect now, as a reload would."""
        self.overrides = tuple(overrides)
        found = self.effective()
        config = with_rules(self.engine.config, found)
        hosts = self.loaded.inventory.hosts if self.loaded else self.engine.hosts()
        self.engine.reconfigure(config, hosts, self.clock())
        return found

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
        self.loaded = loaded
        config = with_rules(with_link_base(loaded.config, self.link_base), self.effective())
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
    db = AlertsDB(loaded.db_url)
    overrides = tuple(OverrideStore(db).all())
    config = with_rules(with_link_base(loaded.config, link_base), loaded.effective(overrides))
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
    return AlertsRuntime(engine, notifier, dispatcher, db, clock, link_base, loaded, overrides)



def from_file(
    path: Path,
    *,
    store_events: Callable[[AlertEvent], None] | None = None,
    clock: Callable[[], float] = time.time,
    link_base: str | None = None,
    owner: str = "",
) -> AlertsRuntime:
    """`build(load(path))`: for tests and tools holding only the file."""
    return build(
        load(path), store_events=store_events, clock=clock, link_base=link_base, owner=owner
    )
