"""The whole config file: the inventory plus the sections each part owns.

One file (inventory.yaml) carries hosts and, optionally, `poller:`, `database:`, `web:` and
`alerts:`. Each section is validated by the model its part defines, through the same
line-numbered validation, so every mistake names file, line and key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from api.context import WebSettings
from poller import inventory, yamlfile
from poller.inventory import Inventory
from poller.settings import PollerSettings
from store.settings import StoreSettings


@dataclass(frozen=True)
class Config:
    inventory: Inventory
    poller: PollerSettings
    database: StoreSettings
    web: WebSettings

    @property
    def path(self) -> Path:
        return self.inventory.path


def load(path: Path) -> Config:
    """Read and validate everything; raises yamlfile.ConfigError listing every problem."""
    doc = yamlfile.load(path)
    inv = inventory.load(path, doc)
    extra = inv.extra
    poller_settings = yamlfile.validate(
        doc, PollerSettings, extra.get("poller") or {}, loc=("poller",)
    )
    database = yamlfile.validate(
        doc, StoreSettings, _database(extra, poller_settings), loc=("database",)
    )
    web = yamlfile.validate(doc, WebSettings, extra.get("web") or {}, loc=("web",))
    return Config(inventory=inv, poller=poller_settings, database=database.with_env(), web=web)


def _database(extra: dict[str, object], poller_settings: PollerSettings) -> object:
    """The embedded store lives in the data dir unless the file says otherwise."""
    raw = extra.get("database") or {}
    if not isinstance(raw, dict):
        return raw  # not a mapping: validation reports it with its line
    return {"url": f"chdb://{poller_settings.data_path() / 'db'}", **raw}
