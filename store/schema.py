"""Every table and view, declared once as data; DDL for one node or a cluster is generated.

Choices, measured in chDB 26.9 on 2,000 hosts x 62 series x 24 h (see DESIGN.md, bench/):
- raw `ORDER BY (metric, host, dev, ts)`: fleet-wide queries 5-8x faster than host-first;
- `ts` is DateTime (seconds): polls are 10 s apart, and DoubleDelta on whole seconds
  costs ~0.006 B/row; float inputs are truncated to the second by the writer;
- `ZSTD(3)` on values: Gorilla made them 33-60 % larger;
- LowCardinality for metric/host/dev/state: a few thousand distinct values at most;
- codecs are explicit because chDB's default compression differs from a server's.

Cluster mode (`cluster: NAME`): each table becomes `<name>_local` with the Replicated* twin of
its engine, created ON CLUSTER, plus `<name>` as a Distributed table sharded by host, so
queries and the writer use the same names in both modes; views read and write `_local` tables
so that each shard rolls up its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from store.db import quote_identifier
from store.settings import StoreSettings

# The dedup window makes a replayed batch (same insert_deduplication_token) a no-op on
# non-replicated MergeTree; Replicated tables have replicated_deduplication_window already.
DEDUP_WINDOW = 1000
DIMENSIONS = (
    ("metric", "LowCardinality(String)", ""),
    ("host", "LowCardinality(String)", ""),
    ("dev", "LowCardinality(String)", ""),
)
TIME_CODEC = "CODEC(DoubleDelta, ZSTD(1))"
VALUE_CODEC = "CODEC(ZSTD(3))"
# Whole parts go when all their rows expired (cheap, no rewrite); a changed TTL only
# recalculates TTL info instead of rewriting every part of a week of raw data.
TIER_SETTINGS = (("ttl_only_drop_parts", "1"), ("materialize_ttl_recalculate_only", "1"))
# Every table: merged-away parts are deleted within 30 s instead of piling up. The cleanup
# thread backs off to `max_cleanup_delay_period` (300 s by default) between passes; a
# 25-minute soak at 100 hosts x 2 s (bench/merge_soak.py) ended with 600 old parts and
# 38.5 MiB on disk against a few MiB of live data. Applied to existing tables by migration 4.
MERGE_SETTINGS = (("max_cleanup_delay_period", "30"),)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    codec: str = ""

    def ddl(self) -> str:
        return f"{quote_identifier(self.name)} {self.type} {self.codec}".rstrip()


@dataclass(frozen=True)
class Table:
    """One stored table. `engine` is the non-replicated engine name; `engine_args` its args."""

    name: str
    columns: tuple[Column, ...]
    engine: str
    order_by: str
    ttl_column: str | None = None
    retention_key: str | None = None
    partition_by: str | None = None
    engine_args: str = ""
    shard_key: str = "cityHash64(host)"
    settings: tuple[tuple[str, str], ...] = ()

    def ttl_expr(self, settings: StoreSettings) -> str | None:
        """TTL as ClickHouse prints it back, so the running table can be compared to config."""
        if self.ttl_column is None or self.retention_key is None:
            return None
        seconds = settings.retention.seconds(self.retention_key)
        return f"{self.ttl_column} + toIntervalSecond({seconds})"


@dataclass(frozen=True)
class View:
    """A materialized view; `select` names tables as {points} etc. so they resolve per mode."""

    name: str
    source: str
    target: str
    select: str
    retention_key: str | None = None  # the view exists only while this tier is enabled


@dataclass(frozen=True)
class Schema:
    tables: tuple[Table, ...]
    views: tuple[View, ...] = field(default=())


def _rollup(name: str, key: str) -> Table:
    columns = [Column(n, t) for n, t, _ in DIMENSIONS]
    columns.append(Column("ts", "DateTime('UTC')", TIME_CODEC))
    for agg in ("min", "max", "sum"):
        columns.append(Column(agg, f"SimpleAggregateFunction({agg}, Float64)", VALUE_CODEC))
    columns.append(Column("count", "SimpleAggregateFunction(sum, UInt64)", VALUE_CODEC))
    return Table(
        name, tuple(columns), "AggregatingMergeTree", "(metric, host, dev, ts)",
        ttl_column="ts", retention_key=key, partition_by="toYYYYMM(ts)",
        settings=TIER_SETTINGS,
    )


POINTS = Table(
    "points",
    (*(Column(n, t) for n, t, _ in DIMENSIONS),
     Column("ts", "DateTime('UTC')", TIME_CODEC), Column("value", "Float64", VALUE_CODEC)),
    "MergeTree", "(metric, host, dev, ts)", ttl_column="ts", retention_key="raw_days",
    partition_by="toDate(ts)", settings=TIER_SETTINGS,
)
# ReplacingMergeTree(ts) read with FINAL rather than an argMax state: measured in chDB 26.9
# on 124k series in 6 unmerged parts, `SELECT … FROM latest FINAL` took 20 ms against
# 65 ms for `argMaxMerge … GROUP BY` (131 ms with ORDER BY). The row with the greatest ts
# wins, so a replayed older batch never overwrites a newer value, as with argMax.
LATEST = Table(
    "latest",
    (*(Column(n, t) for n, t, _ in DIMENSIONS),
     Column("ts", "DateTime('UTC')"), Column("value", "Float64")),
    "ReplacingMergeTree", "(host, metric, dev)", ttl_column="ts", retention_key="raw_days",
    engine_args="ts",
)
_POLL_COLUMNS = (
    Column("host", "LowCardinality(String)"),
    Column("ts", "DateTime('UTC')", TIME_CODEC),
    Column("state", "LowCardinality(String)"),
    Column("reason", "String", "CODEC(ZSTD(3))"),
    Column("duration_s", "Float64", VALUE_CODEC),
    Column("failed_sections", "Array(LowCardinality(String))"),
)
POLL_STATUS = Table(
    "poll_status", _POLL_COLUMNS, "MergeTree", "(host, ts)", ttl_column="ts",
    retention_key="poll_status_days", partition_by="toDate(ts)", settings=TIER_SETTINGS,
)
POLL_LATEST = Table(
    "poll_latest", _POLL_COLUMNS, "ReplacingMergeTree", "host", ttl_column="ts",
    retention_key="poll_status_days", engine_args="ts",
)
# added in migration 5 (store/migrations.py)
FAILED_UNITS = Column("failed_units", "Array(String)", "CODEC(ZSTD(3))")
HOST_INFO = Table(
    "host_info",
    (Column("host", "LowCardinality(String)"), Column("ts", "DateTime('UTC')"),
     Column("os_name", "Nullable(String)"), Column("kernel", "Nullable(String)"),
     Column("arch", "LowCardinality(Nullable(String))"), Column("cpus", "Nullable(UInt32)"),
     Column("cpu_model", "Nullable(String)"), Column("memory_bytes", "Nullable(Float64)"),
     Column("boot_time", "Nullable(DateTime('UTC'))"), FAILED_UNITS),
    "ReplacingMergeTree", "host", ttl_column="ts", retention_key="host_info_days",
    engine_args="ts",
)
ALERT_EVENTS = Table(
    "alert_events",
    (Column("ts", "DateTime64(3, 'UTC')", TIME_CODEC), Column("host", "LowCardinality(String)"),
     Column("rule", "LowCardinality(String)"), Column("severity", "LowCardinality(String)"),
     Column("state", "LowCardinality(String)"), Column("value", "Nullable(Float64)"),
     Column("threshold", "Nullable(Float64)"), Column("message", "String", "CODEC(ZSTD(3))"),
     Column("labels", "Map(LowCardinality(String), String)")),
    "MergeTree", "(ts, host, rule)", ttl_column="toDateTime(ts)",
    retention_key="alert_events_days", partition_by="toYYYYMM(ts)",
)
# Which broken detached parts were already reported (store/brokenparts.py); a few rows ever.
BROKEN_PARTS_SEEN = Table(
    "broken_parts_seen",
    (Column("table", "String"), Column("name", "String"),
     Column("seen_at", "DateTime('UTC')", "DEFAULT now()")),
    "MergeTree", "(table, name)", shard_key="cityHash64(table)",
)
MIGRATIONS_TABLE = Table(
    "schema_migrations",
    (Column("version", "UInt32"), Column("name", "String"),
     Column("applied_at", "DateTime('UTC')")),
    "MergeTree", "version", shard_key="version",
)

# The rollup and `latest` views pass rows through without a GROUP BY: the target's engine
# collapses an inserted block's rows per sorting key itself (optimize_on_insert, on by
# default: AggregatingMergeTree sums/mins/maxes them, ReplacingMergeTree keeps the greatest
# ts), so a GROUP BY did the same work twice. The stored rows are the same (a block of one
# poll per series has one row per key either way; tests/store/test_rollups.py compares the
# two on identical input), and every reader aggregates or reads FINAL anyway. Measured in
# chDB 26.9, 1,000 hosts' polls (51k rows) a flush: 108 -> 69 ms CPU with the three views
# (no views at all: 21 ms; bench/store_views.py). Migration 6 brings older stores along.
_ROLLUP_SELECT = (
    "SELECT metric, host, dev, toStartOfInterval(ts, toIntervalSecond({step})) AS ts, "
    "value AS min, value AS max, value AS sum, toUInt64(1) AS count FROM {points}"
)
# The day tier cascades from the hour tier (24x fewer rows to aggregate at insert time).
_DAY_SELECT = (
    "SELECT metric, host, dev, toStartOfDay(ts) AS ts, min(min) AS min, max(max) AS max, "
    "sum(sum) AS sum, sum(count) AS count FROM {points_1h} GROUP BY metric, host, dev, ts"
)
VIEWS = (
    View("mv_points_5m", "points", "points_5m", _ROLLUP_SELECT.replace("{step}", "300")),
    View("mv_points_1h", "points", "points_1h", _ROLLUP_SELECT.replace("{step}", "3600")),
    View("mv_digest_1h", "points", "digest_1h",
         "SELECT metric, host, dev, toStartOfHour(ts) AS ts, "
         "quantileTDigestState(value) AS digest FROM {points} GROUP BY metric, host, dev, ts",
         retention_key="digest_1h_days"),
    View("mv_points_1d", "points_1h", "points_1d", _DAY_SELECT, retention_key="rollup_1d_days"),
    View("mv_latest", "points", "latest", "SELECT metric, host, dev, ts, value FROM {points}"),
    View("mv_poll_latest", "poll_status", "poll_latest", "SELECT * FROM {poll_status}"),
)
# the views migration 6 redefines (store/migrations.py)
PASS_THROUGH_VIEWS = ("mv_points_5m", "mv_points_1h", "mv_latest")
ROLLUPS = (
    _rollup("points_5m", "rollup_5m_days"),
    _rollup("points_1h", "rollup_1h_days"),
    _rollup("points_1d", "rollup_1d_days"),
)
# Opt-in hourly t-digest for p95/p99 past the raw TTL. Measured in chDB 26.9 on noisy
# percentages (360 values per hour): ~620 B per series-hour after merges, p95 error
# 0.02 (mean) to 0.10 (max) points, p99 0.03 to 0.14 - some 400x the bytes of a 5-minute
# row, so at 160k series it is not a default. (quantileDD(0.005): 190 B, errors 0.15-0.5.)
DIGEST_1H = Table(
    "digest_1h",
    (*(Column(n, t) for n, t, _ in DIMENSIONS), Column("ts", "DateTime('UTC')", TIME_CODEC),
     Column("digest", "AggregateFunction(quantileTDigest, Float64)")),
    "AggregatingMergeTree", "(metric, host, dev, ts)", ttl_column="ts",
    retention_key="digest_1h_days", partition_by="toYYYYMM(ts)", settings=TIER_SETTINGS,
)
TABLES = (POINTS, *ROLLUPS, DIGEST_1H, LATEST, POLL_STATUS, POLL_LATEST, HOST_INFO,
          ALERT_EVENTS, BROKEN_PARTS_SEEN)
SCHEMA = Schema(TABLES, VIEWS)


def enabled(settings: StoreSettings, key: str | None) -> bool:
    """A tier exists only while its retention is configured (the 1-day tier is optional)."""
    return key is None or getattr(settings.retention, key) is not None


def tables_for(settings: StoreSettings) -> list[Table]:
    return [t for t in (MIGRATIONS_TABLE, *SCHEMA.tables) if enabled(settings, t.retention_key)]


def views_for(settings: StoreSettings) -> list[View]:
    by_name = {t.name for t in tables_for(settings)}
    return [
        v for v in SCHEMA.views
        if enabled(settings, v.retention_key) and {v.source, v.target} <= by_name
    ]


def storage_name(name: str, settings: StoreSettings) -> str:
    """Where rows physically live: `<name>_local` in cluster mode, else `<name>`."""
    return f"{name}_local" if settings.cluster else name


def on_cluster(settings: StoreSettings) -> str:
    return f" ON CLUSTER {quote_identifier(settings.cluster)}" if settings.cluster else ""


def engine_sql(table: Table, settings: StoreSettings) -> str:
    if not settings.cluster:
        return f"{table.engine}({table.engine_args})"
    # {shard}, {replica}, {database}, {table} are server macros, expanded per node.
    args = ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'"]
    if table.engine_args:
        args.append(table.engine_args)
    return f"Replicated{table.engine}({', '.join(args)})"


def table_settings(table: Table, settings: StoreSettings) -> str:
    pairs = list(table.settings) + list(MERGE_SETTINGS)
    if not settings.cluster:
        pairs.append(("non_replicated_deduplication_window", str(DEDUP_WINDOW)))
    return ", ".join(f"{k} = {v}" for k, v in pairs)


def create_table_sql(table: Table, settings: StoreSettings, database: str) -> list[str]:
    """CREATE statements for one table: the table, plus its Distributed front in a cluster."""
    local = quote_identifier(storage_name(table.name, settings))
    columns = ",\n  ".join(c.ddl() for c in table.columns)
    lines = [f"CREATE TABLE IF NOT EXISTS {local}{on_cluster(settings)} (\n  {columns}\n)"]
    lines.append(f"ENGINE = {engine_sql(table, settings)}")
    if table.partition_by:
        lines.append(f"PARTITION BY {table.partition_by}")
    lines.append(f"ORDER BY {table.order_by}")
    ttl = table.ttl_expr(settings)
    if ttl:
        lines.append(f"TTL {ttl}")
    table_opts = table_settings(table, settings)
    if table_opts:
        lines.append(f"SETTINGS {table_opts}")
    statements = ["\n".join(lines)]
    if settings.cluster:
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {quote_identifier(table.name)}{on_cluster(settings)} "
            f"AS {local} ENGINE = Distributed('{settings.cluster}', '{database}', "
            f"'{storage_name(table.name, settings)}', {table.shard_key})"
        )
    return statements


def create_view_sql(view: View, settings: StoreSettings) -> str:
    names = {t.name: quote_identifier(storage_name(t.name, settings)) for t in SCHEMA.tables}
    select = view.select.format(**names)
    target = quote_identifier(storage_name(view.target, settings))
    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {quote_identifier(view.name)}"
        f"{on_cluster(settings)} TO {target} AS {select}"
    )


def create_all_sql(settings: StoreSettings, database: str) -> list[str]:
    """Every CREATE for the configured tiers, tables before the views that feed them."""
    statements = [s for t in tables_for(settings) for s in create_table_sql(t, settings, database)]
    statements += [create_view_sql(v, settings) for v in views_for(settings)]
    return statements


def modify_ttl_sql(table: Table, settings: StoreSettings) -> str:
    return (
        f"ALTER TABLE {quote_identifier(storage_name(table.name, settings))}"
        f"{on_cluster(settings)} MODIFY TTL {table.ttl_expr(settings)}"
    )


def add_column_sql(table: Table, column: Column, settings: StoreSettings) -> list[str]:
    """ADD COLUMN IF NOT EXISTS on the table, and on its Distributed front in a cluster
    (the front has its own column list and would not show the new column otherwise)."""
    names = dict.fromkeys((storage_name(table.name, settings), table.name))
    return [
        f"ALTER TABLE {quote_identifier(n)}{on_cluster(settings)} "
        f"ADD COLUMN IF NOT EXISTS {column.ddl()}"
        for n in names
    ]


def merge_settings_sql(table: Table, settings: StoreSettings) -> str:
    pairs = ", ".join(f"{k} = {v}" for k, v in MERGE_SETTINGS)
    return (
        f"ALTER TABLE {quote_identifier(storage_name(table.name, settings))}"
        f"{on_cluster(settings)} MODIFY SETTING {pairs}"
    )


def drop_view_sql(view: View, settings: StoreSettings) -> str:
    """Dropping a disabled tier's view stops feeding it; its rows stay until their TTL."""
    return f"DROP VIEW IF EXISTS {quote_identifier(view.name)}{on_cluster(settings)}"


# Introspection used by migrations; bound parameters only.
ENGINE_FULL_SQL = (
    "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()"
)
APPLIED_VERSIONS_SQL = "SELECT DISTINCT version FROM schema_migrations"
