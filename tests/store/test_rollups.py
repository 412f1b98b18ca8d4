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
