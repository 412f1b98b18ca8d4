"""`sshmon db status`: what is stored, how big it is, and which time span each tier covers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from clickhouse_connect.driver.client import Client

from store import brokenparts, queries
from store.brokenparts import BrokenPart
from store.db import connect, database_name, is_embedded
from store.rows import TableStats
from store.settings import StoreSettings

# Tables whose oldest/newest `ts` is worth showing (the rest are small or keyed by host).
TIME_TABLES = ("points", "points_5m", "points_1h", "points_1d", "digest_1h", "poll_status",
               "alert_events")


@dataclass(frozen=True)
class StoreStatus:
    url: str  # password removed
    database: str
    embedded: bool
    tables: list[TableStats]
    # parts the engine detached as broken: their rows are no longer queried
    broken_parts: list[BrokenPart] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(t.bytes_on_disk for t in self.tables)


def redact(url: str) -> str:
    """Drop the password from `scheme://user:pass@host`."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}{sep}{creds.split(':', 1)[0]}:***@{host}"


def collect(client: Client, settings: StoreSettings) -> StoreStatus:
    tables = []
    for stats in queries.table_stats(client):
        if stats.name in TIME_TABLES:
            oldest, newest = queries.time_range(client, stats.name)
            stats = replace(stats, oldest=oldest, newest=newest)
        tables.append(stats)
    return StoreStatus(redact(settings.url), database_name(settings),
                       is_embedded(settings.url), tables, brokenparts.list_broken(client))


def db_status(settings: StoreSettings) -> StoreStatus:
    """Open the store, read its status, close it (the plain function the main CLI calls)."""
    client = connect(settings)
    try:
        return collect(client, settings)
    finally:
        client.close()
