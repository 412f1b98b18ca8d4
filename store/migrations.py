"""Versioned, idempotent schema migrations, applied at start-up.

Every statement is `IF NOT EXISTS`/`IF EXISTS`, so a start that died half-way simply runs
again; a version is recorded in `schema_migrations` only after all its statements ran.
After the versions, `reconcile` makes the running tables match the config: the optional
day tier appears or stops being fed, and a changed retention becomes `ALTER … MODIFY TTL`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from clickhouse_connect.driver.client import Client

from store import schema
from store.db import database_name, quote_identifier
from store.errors import translated
from store.settings import StoreSettings

_TTL_IN_ENGINE = re.compile(r" TTL (.+?)(?: SETTINGS |$)")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: Callable[[StoreSettings, str], list[str]]


def _initial(settings: StoreSettings, database: str) -> list[str]:
    return schema.create_all_sql(settings, database)


def _latest_replacing(settings: StoreSettings, database: str) -> list[str]:
    """`latest` from an argMax state to ReplacingMergeTree(ts) read with FINAL (schema.py says
    why); refilled from the last day of raw points so current values survive the change."""
    view = next(v for v in schema.VIEWS if v.name == "mv_latest")
    cluster = schema.on_cluster(settings)
    names = ["latest", schema.storage_name("latest", settings)]
    drops = [
        f"DROP TABLE IF EXISTS {quote_identifier(n)}{cluster} SYNC" for n in dict.fromkeys(names)
    ]
    return [
        schema.drop_view_sql(view, settings),
        *drops,
        *schema.create_table_sql(schema.LATEST, settings, database),
        schema.create_view_sql(view, settings),
        # through the Distributed fronts in a cluster, so every shard gets its hosts
        "INSERT INTO latest SELECT metric, host, dev, max(p.ts) AS ts, argMax(p.value, p.ts) "
        "FROM points AS p WHERE p.ts > now() - INTERVAL 1 DAY GROUP BY metric, host, dev",
    ]


def _merge_settings(settings: StoreSettings, database: str) -> list[str]:
    """MERGE_SETTINGS (schema.py says why) on tables made before them; MODIFY SETTING to the
    same value is a no-op, so a rerun is harmless."""
    return [schema.merge_settings_sql(t, settings) for t in schema.tables_for(settings)]


def _pass_through_views(settings: StoreSettings, database: str) -> list[str]:
    """The rollup and `latest` views without their GROUP BY (schema.py says why): dropped
    and made again, as the running `sshmon run` is the only writer and migrates before its
    first insert. A rerun drops and recreates the same definitions."""
    views = [v for v in schema.views_for(settings) if v.name in schema.PASS_THROUGH_VIEWS]
    # one view at a time: a table goes unfed for the shortest while
    return [sql for v in views
            for sql in (schema.drop_view_sql(v, settings), schema.create_view_sql(v, settings))]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "raw points, 5m/1h(/1d) rollups, latest, poll status, host info, alerts",
              _initial),
    Migration(2, "latest as ReplacingMergeTree(ts), read with FINAL", _latest_replacing),
    Migration(3, "broken_parts_seen: broken detached parts already reported",
              lambda settings, database: schema.create_table_sql(
                  schema.BROKEN_PARTS_SEEN, settings, database)),
    Migration(4, "old parts cleaned within 30 s (max_cleanup_delay_period)", _merge_settings),
    Migration(5, "host_info.failed_units: the failed systemd units' names",
              lambda settings, database: schema.add_column_sql(
                  schema.HOST_INFO, schema.FAILED_UNITS, settings)),
    Migration(6, "rollup and latest views without GROUP BY (the engines merge on insert)",
              _pass_through_views),
)


@dataclass
class MigrationReport:
    applied: list[int] = field(default_factory=list)
    ttl_changed: list[str] = field(default_factory=list)
    views_dropped: list[str] = field(default_factory=list)


def migrate(client: Client, settings: StoreSettings, *, clock: Callable[[], float] = time.time
            ) -> MigrationReport:
    """Bring the database to the latest version and the configured tiers and TTLs."""
    database = database_name(settings)
    report = MigrationReport()
    with translated():
        for statement in schema.create_table_sql(schema.MIGRATIONS_TABLE, settings, database):
            client.command(statement)
        done = {int(row[0]) for row in client.query(schema.APPLIED_VERSIONS_SQL).result_rows}
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            for statement in migration.statements(settings, database):
                client.command(statement)
            client.insert(
                "schema_migrations", [[migration.version, migration.name, int(clock())]],
                column_names=["version", "name", "applied_at"],
            )
            report.applied.append(migration.version)
        reconcile(client, settings, database, report)
    return report


def current_ttls(client: Client, settings: StoreSettings) -> dict[str, str | None]:
    """TTL expression of every table in the database as the engine prints it back."""
    rows = client.query(schema.ENGINE_FULL_SQL).result_rows
    ttls: dict[str, str | None] = {}
    for name, engine_full in rows:
        match = _TTL_IN_ENGINE.search(str(engine_full))
        ttls[str(name)] = match.group(1).strip() if match else None
    return ttls


def reconcile(client: Client, settings: StoreSettings, database: str,
              report: MigrationReport) -> None:
    """Create enabled tiers, stop feeding disabled ones, apply changed TTLs."""
    for statement in schema.create_all_sql(settings, database):
        client.command(statement)
    ttls = current_ttls(client, settings)
    enabled = {v.name for v in schema.views_for(settings)}
    for view in schema.SCHEMA.views:
        if view.name not in enabled and view.name in ttls:
            client.command(schema.drop_view_sql(view, settings))
            report.views_dropped.append(view.name)
    for table in schema.tables_for(settings):
        wanted = table.ttl_expr(settings)
        have = ttls.get(schema.storage_name(table.name, settings))
        if wanted is not None and have != wanted:
            client.command(schema.modify_ttl_sql(table, settings))
            report.ttl_changed.append(table.name)
