"""The whole config file: the inventory plus the sections each part owns.

One file (inventory.yaml) carries hosts and, optionally, `poller:`, `database:`, `web:` and
`alerts:`. Each section is validated by the model its part defines, through the same
line-numbered validation, so every mistake names file, line and key. Every section is
checked even when an earlier one failed, so one run lists all the mistakes (as
`promtool check config` does); `sshmon config check`, `check`, `run`, `poll` and `serve`
all come through `load`, so they accept and refuse the same files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from alerts import checks
from alerts import config as alerts_config
from alerts.config import AlertsConfig, Loc, Rule
from alerts.runtime import Loaded as AlertsLoaded
from alerts.runtime import loaded as alerts_loaded
from api.context import WebSettings
from poller import inventory, yamlfile
from poller.inventory import Inventory
from poller.settings import PollerSettings
from poller.yamlfile import ConfigError, Document
from store.settings import ENV_DATABASE_URL, StoreSettings, url_problem

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Config:
    inventory: Inventory
    poller: PollerSettings
    database: StoreSettings
    web: WebSettings
    alerts: AlertsConfig
    # every rule of the file and the shipped list with where it is, disabled ones too: the
    # base that rules edited in the UI are layered over (alerts/overrides.py)
    alert_rules_base: tuple[tuple[Loc, Rule], ...] = ()

    @property
    def path(self) -> Path:
        return self.inventory.path

    def alerts_loaded(self) -> AlertsLoaded:
        """What the alert engine and the `sshmon alerts` commands need, from this one read of
        the file (alerts.db under poller.data_dir unless alerts.db_url says otherwise)."""
        return alerts_loaded(
            self.alerts, self.inventory, self.poller.data_path(), self.alert_rules_base
        )

    def summary(self) -> str:
        """One line for `sshmon config check`: what the file defines."""
        counts = (
            (self.inventory.hosts, "host"),
            (self.inventory.groups, "group"),
            (self.alerts.rules, "rule"),
            (self.alerts.routes, "route"),
        )
        return f"{self.path}: " + ", ".join(_count(len(items), noun) for items, noun in counts)


def load(path: Path, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate everything; raises ConfigError listing every problem found.

    `env` is where `${VAR}` in the file, `env:` route URLs and SSHMON_DATABASE_URL are read
    (default: the process environment).
    """
    environ = os.environ if env is None else env
    # unreadable, not YAML or a ${VAR} unset: nothing more can be checked
    doc = yamlfile.load(path, environ)
    problems: list[str] = []
    inv = _checked(problems, lambda: inventory.load(path, doc))
    if not isinstance(doc.data, dict):
        raise ConfigError(problems)  # inventory.load said why
    poller = _checked(problems, lambda: _section(doc, PollerSettings, "poller"))
    data_dir = (poller or PollerSettings()).data_path()
    database = _checked(
        problems, lambda: _section(doc, StoreSettings, "database", {"url": f"chdb://{data_dir}/db"})
    )
    if database is not None:
        problems += _database_url(doc, database, environ)
    web = _checked(problems, lambda: _section(doc, WebSettings, "web"))
    hosts, groups = _names(doc, "hosts"), _names(doc, "groups")
    based = _checked(problems, lambda: alerts_config.load_base(doc, hosts, groups))
    alerts = (
        based[0].model_copy(update={"rules": [r for _, r in based[1] if r.enabled]})
        if based is not None
        else None
    )
    # routes are checked even when a rule is wrong, from the section's schema alone
    routes = alerts or _checked([], lambda: _section(doc, AlertsConfig, "alerts"))
    if routes is not None:
        problems += checks.route_problems(doc, routes, groups, environ)
    if problems or not (inv and poller and database and web and alerts):
        raise ConfigError(problems)  # a section that failed always left a problem
    return Config(
        inventory=inv,
        poller=poller,
        database=database.with_env(),
        web=web,
        alerts=alerts,
        alert_rules_base=tuple(based[1]) if based is not None else (),
    )


def _checked(problems: list[str], validate: Callable[[], T]) -> T | None:
    """Run one section's validation, keeping its problems so the next section still runs."""
    try:
        return validate()
    except ConfigError as exc:
        problems += exc.problems
        return None


def _section(
    doc: Document, model: type[M], key: str, defaults: dict[str, object] | None = None
) -> M:
    raw = doc.data.get(key) or {}
    if isinstance(raw, dict) and defaults:
        raw = {**defaults, **raw}
    # not a mapping: validation reports it with its line
    return yamlfile.validate(doc, model, raw, loc=(key,))


def _database_url(doc: Document, database: StoreSettings, env: Mapping[str, str]) -> list[str]:
    problems = []
    if (what := url_problem(database.url)) is not None:
        problems.append(f"{doc.where(('database', 'url'))}: database.url: {what}")
    from_env = env.get(ENV_DATABASE_URL, "")
    if from_env and (what := url_problem(from_env)) is not None:
        problems.append(f"environment variable {ENV_DATABASE_URL}: {what}")
    return problems


def _names(doc: Document, section: str) -> frozenset[str]:
    """Names defined under hosts: or groups:, read from the file itself so the alerts section
    is checked against them even when a host's settings are wrong."""
    entries = doc.data.get(section)
    return frozenset(str(k) for k in entries) if isinstance(entries, dict) else frozenset()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
