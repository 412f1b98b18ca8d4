"""Rollup tables fed by views hold exactly the aggregates of the raw rows."""

from __future__ import annotations

from collections import defaultdict

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0, insert_points, make_points

from poller.points import Point

STEPS = {"points_5m": 300, "points_1h": 3600, "points_1d": 86400}


Key = tuple[str, str, str, int]


def _expected(points: list[Point], step: int) -> dict[Key, tuple[object, ...]]:
    groups: dict[Key, list[float]] = defaultdict(list)
    for p in points:
        groups[(p.metric, p.host, p.dev, int(p.ts) - int(p.ts) % step)].append(p.value)
    return {k: (min(v), max(v), round(sum(v), 6), len(v)) for k, v in groups.items()}


@pytest.mark.parametrize("table", list(STEPS))
def test_rollup_equals_aggregates_of_raw(client: Client, table: str) -> None:
    # 2 hours plus a bit, across several inserts (several parts, buckets split between them)
    points = make_points(3, 2, 800, devs=("", "eth0"), start=T0 + 86_400 - 3_000)
    for chunk in range(0, len(points), 1_700):
        insert_points(client, points[chunk:chunk + 1_700])
    rows = client.query(
        f"SELECT metric, host, dev, toUnixTimestamp(ts), min(min), max(max), "
        f"round(sum(sum), 6), sum(count) FROM {table} GROUP BY metric, host, dev, ts"
    ).result_rows
    got = {(m, h, d, t): (lo, hi, s, n) for m, h, d, t, lo, hi, s, n in rows}
    assert got == _expected(points, STEPS[table])
    # and the engine agrees with itself: the same aggregates straight from raw
    raw = client.query(
        f"SELECT metric, host, dev, toUnixTimestamp(toStartOfInterval(ts, "
        f"toIntervalSecond({STEPS[table]}))) AS b, min(value), max(value), "
        f"round(sum(value), 6), count() FROM points GROUP BY metric, host, dev, b"
    ).result_rows
    assert {(m, h, d, t): (lo, hi, s, n) for m, h, d, t, lo, hi, s, n in raw} == got


def test_hourly_sketch_quantiles_are_close_to_exact(client: Client) -> None:
    points = make_points(1, 1, 360 * 6)  # six hours of one series
    insert_points(client, points)
    (sketch, exact), = client.query(
        "SELECT (SELECT quantilesTDigestMerge(0.95, 0.99)(digest) FROM digest_1h), "
        "(SELECT quantilesExact(0.95, 0.99)(value) FROM points)"
    ).result_rows
    assert sketch[0] == pytest.approx(exact[0], abs=1.0)
    assert sketch[1] == pytest.approx(exact[1], abs=1.0)


# The views as migrations 1 to 5 made them (before issue 15), with their GROUP BY.
GROUPED = {
    "points_5m": "SELECT metric, host, dev, toStartOfInterval(ts, toIntervalSecond(300)) AS ts, "
                 "min(value) AS min, max(value) AS max, sum(value) AS sum, count() AS count "
                 "FROM points GROUP BY metric, host, dev, ts",
    "points_1h": "SELECT metric, host, dev, toStartOfInterval(ts, toIntervalSecond(3600)) AS ts, "
                 "min(value) AS min, max(value) AS max, sum(value) AS sum, count() AS count "
                 "FROM points GROUP BY metric, host, dev, ts",
    "latest": "SELECT metric, host, dev, max(p.ts) AS ts, argMax(p.value, p.ts) AS value "
              "FROM points AS p GROUP BY metric, host, dev",
}


def test_pass_through_views_store_the_rows_the_grouped_views_stored(client: Client) -> None:
    # twin tables fed by the old grouped views, next to the real ones fed by the new views
    for table, select in GROUPED.items():
        client.command(f"CREATE TABLE old_{table} AS {table}")
        client.command(f"CREATE MATERIALIZED VIEW mv_old_{table} TO old_{table} AS {select}")
        for name in (table, f"old_{table}"):  # the rows as inserted, no merge in between
            client.command(f"SYSTEM STOP MERGES {name}")
    # several points of a series per insert (2 s polls, 25 s batches), buckets split between
    # inserts, values with decimals: what the GROUP BY used to collapse
    points = make_points(3, 2, 2_000, devs=("", "eth0"), step=2, start=T0 + 86_400 - 2_000)
    for chunk in range(0, len(points), 1_500):
        insert_points(client, points[chunk:chunk + 1_500])

    def stored(table: str, final: str = "") -> list[tuple[object, ...]]:
        return client.query(f"SELECT * FROM {table} {final} ORDER BY ALL").result_rows

    for table in GROUPED:
        # row for row, as each insert stored them (before any merge) ...
        assert stored(table) == stored(f"old_{table}"), table
        assert len(stored(table)) < len(points)  # the blocks were collapsed per key
        # ... and after merging everything
        client.command(f"SYSTEM START MERGES {table}")
        client.command(f"SYSTEM START MERGES old_{table}")
        client.command(f"OPTIMIZE TABLE {table} FINAL")
        client.command(f"OPTIMIZE TABLE old_{table} FINAL")
        assert stored(table, "FINAL") == stored(f"old_{table}", "FINAL"), table
