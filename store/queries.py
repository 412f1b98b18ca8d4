"""Every read of stored data. Values always travel as bound parameters (`{name:Type}`);
the only identifiers in SQL text are table names from the fixed `_TIERS` map below.

Resolution: `series` reads the tier `store.resolution.choose_resolution` picks (re-exported
here): raw below 5-minute buckets (ranges up to ~3.5 days at 1,000 points), then the
5-minute, 1-hour and (if enabled) 1-day rollups. A 1-year chart reads ~9k hourly rows.

p95/p99 (`summary`): computed exactly from raw rows whenever raw rows still cover the
range (the raw TTL, 7 days by default). For older ranges they come from the optional hourly
t-digest table (`retention.digest_1h_days`; error ~0.02-0.14 points on percentages,
~620 B per series-hour, measured) or, without it, from the 5-minute averages, which read
about 2 points low on noisy series (measured); `Summary.quantiles_from` says which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from clickhouse_connect.driver.client import Client

from store.errors import StoreQueryError, translated
from store.records import AlertEvent
from store.resolution import DEFAULT_MIN_STEP_S, choose_resolution
from store.rows import (
    CatalogRow,
    HostInfoRow,
    LatestColumns,
    LatestRow,
    PollStatusRow,
    QuantileSource,
    Resolution,
    Series,
    SeriesPoint,
    Summary,
    TableStats,
    TopRow,
)

TOP_RAW_MAX_S = 6 * 3_600
TOP_5M_MAX_S = 7 * 86_400
# Tier -> (table, native step, avg/min/max expressions). Raw rows are single values.
_TIERS: dict[Resolution, tuple[str, int, str, str, str]] = {
    "raw": ("points", 10, "avg(value)", "min(value)", "max(value)"),
    "5m": ("points_5m", 300, "sum(sum) / sum(count)", "min(min)", "max(max)"),
    "1h": ("points_1h", 3600, "sum(sum) / sum(count)", "min(min)", "max(max)"),
    "1d": ("points_1d", 86400, "sum(sum) / sum(count)", "min(min)", "max(max)"),
}
_RANGE = "ts >= fromUnixTimestamp({start:Int64}) AND ts < fromUnixTimestamp({end:Int64})"
_SERIES_KEY = "metric = {metric:String} AND host = {host:String} AND dev = {dev:String}"


def _rows(client: Client, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    with translated():
        return list(client.query(sql, parameters=params or {}).result_rows)


def _bounds(start: float, end: float) -> dict[str, int]:
    if end <= start:
        raise StoreQueryError(f"empty range: start {start} >= end {end}")
    return {"start": math.floor(start), "end": math.ceil(end)}


def latest_all_columns(client: Client) -> LatestColumns:
    """latest_all as five parallel lists: the fast path for exporting a whole fleet.

    Measured at 2,000 hosts x 62 series (124k values) on chDB 26.9, from the
    ReplacingMergeTree `latest` read with FINAL: ~29 ms; latest_all ~140 ms, the
    difference being 124k GC-tracked row tuples (strings and floats in lists are not
    tracked), so fleet-wide readers use this one.
    """
    with translated():
        columns = client.query(
            "SELECT host, metric, dev, toFloat64(toUnixTimestamp(ts)), value FROM latest FINAL "
            "ORDER BY host, metric, dev"
        ).result_columns
    if not columns:
        return LatestColumns([], [], [], [], [])
    return LatestColumns(*(list(c) for c in columns))


def latest_all(client: Client) -> list[LatestRow]:
    """Current value of every metric of every host, from the `latest` table."""
    cols = latest_all_columns(client)
    return list(map(LatestRow, cols.host, cols.metric, cols.dev, cols.ts, cols.value))


def latest_host(client: Client, host: str) -> list[LatestRow]:
    rows = _rows(
        client,
        "SELECT host, metric, dev, toFloat64(toUnixTimestamp(ts)), value FROM latest FINAL "
        "WHERE host = {host:String} ORDER BY metric, dev",
        {"host": host},
    )
    return [LatestRow(*r) for r in rows]


def series(client: Client, host: str, metric: str, dev: str | None, start: float, end: float,
           max_points: int = 1000, *, day_tier: bool = False,
           min_step: int = DEFAULT_MIN_STEP_S) -> Series:
    """Buckets of (avg, min, max) over [start, end); `dev=None` means the host-wide ''.

    `day_tier=True` lets long ranges read the optional 1-day tier (when it is configured).
    """
    resolution, step = choose_resolution(start, end, max_points, day_tier, min_step)
    table, _, avg, low, high = _TIERS[resolution]
    params: dict[str, Any] = {**_bounds(start, end), "host": host, "metric": metric,
                              "dev": dev or "", "step": step}
    params["start"] -= params["start"] % step
    rows = _rows(
        client,
        "SELECT toFloat64(toUnixTimestamp("
        "toStartOfInterval(ts, toIntervalSecond({step:UInt32})))) AS bucket,"
        f"  {avg}, {low}, {high} FROM {table} "
        f"WHERE {_SERIES_KEY} AND {_RANGE} GROUP BY bucket ORDER BY bucket",
        params,
    )
    return Series(host, metric, dev or "", resolution, step, [SeriesPoint(*r) for r in rows])


def series_many(client: Client, host: str, keys: Sequence[tuple[str, str]], start: float,
                end: float, max_points: int = 1000, *, day_tier: bool = False,
                min_step: int = DEFAULT_MIN_STEP_S) -> list[Series]:
    """`series` for several (metric, dev) of one host in ONE query, in the order of `keys`.

    The host page draws ~40 series; one query each cost ~6-7 ms of per-query overhead
    (139-735 ms for the page under load), one query for all of them about 50 ms.
    """
    if not keys:
        return []
    resolution, step = choose_resolution(start, end, max_points, day_tier, min_step)
    table, _, avg, low, high = _TIERS[resolution]
    params: dict[str, Any] = {**_bounds(start, end), "host": host, "step": step,
                              "metrics": sorted({metric for metric, _ in keys})}
    params["start"] -= params["start"] % step
    rows = _rows(
        client,
        "SELECT metric, dev, toFloat64(toUnixTimestamp("
        "toStartOfInterval(ts, toIntervalSecond({step:UInt32})))) AS bucket,"
        f"  {avg}, {low}, {high} FROM {table} "
        "WHERE metric IN {metrics:Array(String)} AND host = {host:String} AND "
        f"{_RANGE} GROUP BY metric, dev, bucket ORDER BY metric, dev, bucket",
        params,
    )
    found: dict[tuple[str, str], list[SeriesPoint]] = {}
    for metric, dev, *point in rows:
        found.setdefault((metric, dev), []).append(SeriesPoint(*point))
    return [Series(host, m, d, resolution, step, found.get((m, d), [])) for m, d in keys]


def summary(client: Client, host: str, metric: str, dev: str | None, start: float,
            end: float) -> Summary:
    """avg/min/max/p95/p99/count over [start, end); see the module docstring for p95/p99.

    While raw rows cover the range: all exact, from raw (quantiles interpolated linearly,
    as numpy does). Past the raw TTL: avg/min/max/count from the 1-hour tier (range widened
    to whole hours); p95/p99 from the hourly t-digest when `digest_1h_days` is configured,
    else from the 5-minute averages (`quantiles_from` says which).
    """
    params: dict[str, Any] = {**_bounds(start, end), "host": host, "metric": metric,
                              "dev": dev or ""}
    if _raw_covers(client, params):
        avg, low, high, quantiles, count = _rows(
            client,
            "SELECT avg(value), min(value), max(value), "
            "quantilesExactInclusive(0.95, 0.99)(value), count() "
            f"FROM points WHERE {_SERIES_KEY} AND {_RANGE}", params)[0]
        if not count:
            return Summary(None, None, None, None, None, 0, "raw")
        return Summary(avg, low, high, quantiles[0], quantiles[1], int(count), "raw")
    params["start"] -= params["start"] % 3600
    avg, low, high, count = _rows(
        client,
        "SELECT sum(sum) / sum(count), min(min), max(max), sum(count) "
        f"FROM points_1h WHERE {_SERIES_KEY} AND {_RANGE}", params)[0]
    quantiles, source = _long_range_quantiles(client, params)
    return Summary(avg, low, high, quantiles[0], quantiles[1], int(count or 0), "1h",
                   quantiles_from=source)


def _raw_covers(client: Client, params: dict[str, Any]) -> bool:
    """False when the 5-minute tier holds rows of the range older than any raw row left."""
    raw_first, rollup_first = _rows(
        client,
        "SELECT (SELECT toUnixTimestamp(min(ts)) FROM points "
        f"WHERE {_SERIES_KEY} AND {_RANGE}), (SELECT toUnixTimestamp(min(ts)) FROM points_5m "
        f"WHERE {_SERIES_KEY} AND {_RANGE})",
        {**params, "start": params["start"] - params["start"] % 300})[0]
    if not rollup_first:  # min() of no rows is 0: nothing stored, raw's empty answer is right
        return True
    return bool(raw_first) and raw_first < rollup_first + 300


def _long_range_quantiles(client: Client, params: dict[str, Any]
                          ) -> tuple[list[float | None], QuantileSource]:
    if _rows(client, "EXISTS TABLE digest_1h")[0][0]:
        quantiles, rows = _rows(
            client,
            "SELECT quantilesTDigestMerge(0.95, 0.99)(digest), count() FROM digest_1h "
            f"WHERE {_SERIES_KEY} AND {_RANGE}", params)[0]
        if rows:
            return list(quantiles), "sketch"
    ((quantiles, buckets),) = _rows(
        client,
        "SELECT quantilesExactInclusive(0.95, 0.99)(avg), count() FROM (SELECT "
        "sum(sum) / sum(count) AS avg FROM points_5m "
        f"WHERE {_SERIES_KEY} AND {_RANGE} GROUP BY ts)", params)
    return (list(quantiles) if buckets else [None, None]), "5m_avg"


_TOP_BY = {"avg": ("avg(value)", "sum(sum) / sum(count)"),
           "max": ("max(value)", "max(max)"),
           "min": ("min(value)", "min(min)")}


def top_hosts(client: Client, metric: str, start: float, end: float, n: int = 10,
              by: str = "avg", dev: str | None = None) -> list[TopRow]:
    """The n hosts with the highest `by` (avg, max, min) of a metric over [start, end).

    `dev=None` takes every device of the host together (e.g. `max` = its busiest disk).
    Windows up to 6 h read raw rows, up to 7 days the 5-minute tier, longer the hourly one.
    """
    if by not in _TOP_BY:
        raise StoreQueryError(f"top_hosts by must be one of {sorted(_TOP_BY)}, not {by!r}")
    span = end - start
    table = ("points" if span <= TOP_RAW_MAX_S
             else "points_5m" if span <= TOP_5M_MAX_S else "points_1h")
    expr = _TOP_BY[by][0 if table == "points" else 1]
    rows = _rows(
        client,
        f"SELECT host, {expr} AS v FROM {table} WHERE metric = {{metric:String}} "
        f"AND ({{dev:Nullable(String)}} IS NULL OR dev = {{dev:Nullable(String)}}) AND {_RANGE} "
        "GROUP BY host ORDER BY v DESC, host LIMIT {n:UInt32}",
        {**_bounds(start, end), "metric": metric, "dev": dev, "n": n},
    )
    return [TopRow(*r) for r in rows]


_POLL_COLUMNS = ("host, toFloat64(toUnixTimestamp(ts)), state, reason, "
                 "duration_s, failed_sections")


def _poll_row(row: Any) -> PollStatusRow:
    host, ts, state, reason, duration, failed = row
    return PollStatusRow(host, ts, state, reason, duration, tuple(failed))


def poll_history(client: Client, host: str, start: float, end: float,
                 limit: int = 1000) -> list[PollStatusRow]:
    """Polls of one host in [start, end), newest first."""
    rows = _rows(
        client,
        f"SELECT {_POLL_COLUMNS} FROM poll_status WHERE host = {{host:String}} AND {_RANGE} "
        "ORDER BY ts DESC LIMIT {limit:UInt32}",
        {**_bounds(start, end), "host": host, "limit": limit},
    )
    return [_poll_row(r) for r in rows]


def last_poll_all(client: Client) -> list[PollStatusRow]:
    """The latest poll of every host (FINAL: one row per host, ~thousands of rows)."""
    rows = _rows(client, f"SELECT {_POLL_COLUMNS} FROM poll_latest FINAL ORDER BY host")
    return [_poll_row(r) for r in rows]


def host_infos(client: Client) -> list[HostInfoRow]:
    rows = _rows(
        client,
        "SELECT host, toFloat64(toUnixTimestamp(ts)), os_name, kernel, arch, cpus, cpu_model, "
        "memory_bytes, toFloat64(toUnixTimestamp(boot_time)), failed_units "
        "FROM host_info FINAL ORDER BY host",
    )
    return [HostInfoRow._make((*r[:-1], tuple(r[-1]))) for r in rows]


def metric_catalog_in_store(client: Client) -> list[CatalogRow]:
    """Distinct (host, metric, dev) with a current value."""
    rows = _rows(client, "SELECT DISTINCT host, metric, dev FROM latest "
                         "ORDER BY host, metric, dev")
    return [CatalogRow(*r) for r in rows]


def alert_events(client: Client, host: str | None = None, rule: str | None = None,
                 start: float = 0.0, end: float | None = None,
                 limit: int = 1000) -> list[AlertEvent]:
    """Alert history in [start, end), newest first, optionally for one host and/or rule."""
    end_ms = 2**62 if end is None else math.ceil(end * 1000)
    rows = _rows(
        client,
        "SELECT toFloat64(toUnixTimestamp64Milli(ts)) / 1000, host, rule, severity, state, "
        "value, threshold, message, labels FROM alert_events "
        "WHERE ts >= fromUnixTimestamp64Milli({start:Int64}) "
        "AND ts < fromUnixTimestamp64Milli({end:Int64}) "
        "AND ({host:Nullable(String)} IS NULL OR host = {host:Nullable(String)}) "
        "AND ({rule:Nullable(String)} IS NULL OR rule = {rule:Nullable(String)}) "
        "ORDER BY ts DESC LIMIT {limit:UInt32}",
        {"start": math.floor(start * 1000), "end": end_ms, "host": host, "rule": rule,
         "limit": limit},
    )
    return [
        AlertEvent(ts, host, rule, severity, state, value, threshold, message, dict(labels))
        for ts, host, rule, severity, state, value, threshold, message, labels in rows
    ]


def table_stats(client: Client) -> list[TableStats]:
    """Rows and bytes of every table of the database, from its active parts."""
    rows = _rows(
        client,
        "SELECT t.name, sum(p.rows), sum(p.bytes_on_disk), sum(p.data_uncompressed_bytes) "
        "FROM system.tables AS t LEFT JOIN system.parts AS p "
        "ON p.database = t.database AND p.table = t.name AND p.active "
        "WHERE t.database = currentDatabase() AND t.engine NOT IN ('MaterializedView') "
        "GROUP BY t.name ORDER BY t.name",
    )
    return [TableStats(str(n), int(r), int(b), int(u)) for n, r, b, u in rows]


def time_range(client: Client, table: str) -> tuple[float | None, float | None]:
    """Oldest and newest `ts` of one of our time-keyed tables (name from the schema only)."""
    if table not in {"points", "points_5m", "points_1h", "points_1d", "digest_1h", "latest",
                     "poll_status", "alert_events", "host_info"}:
        raise StoreQueryError(f"not a time-keyed table: {table!r}")
    ((oldest, newest, count),) = _rows(
        client,
        f"SELECT toFloat64(toUnixTimestamp(min(ts))), toFloat64(toUnixTimestamp(max(ts))), "
        f"count() FROM {table}",
    )
    return (oldest, newest) if count else (None, None)



__all__ = [
    "alert_events", "choose_resolution", "host_infos", "last_poll_all", "latest_all",
    "latest_all_columns", "latest_host", "metric_catalog_in_store", "poll_history", "series",
    "series_many",
    "summary", "table_stats", "time_range", "top_hosts",
]
