"""Small builders shared by the store tests (no fakes of the engine here)."""

from __future__ import annotations

import random
import time

from clickhouse_connect.driver.client import Client

from poller.points import Point
from store import records

# Yesterday's midnight UTC: inside every default TTL (rows past their TTL are dropped on
# insert), and aligned so 5-minute, hourly and daily buckets all start at T0.
T0 = (int(time.time()) // 86_400 - 1) * 86_400


def make_points(hosts: int, metrics: int, samples: int, *, start: int = T0, step: int = 10,
                seed: int = 1, devs: tuple[str, ...] = ("",)) -> list[Point]:
    rng = random.Random(seed)
    return [
        Point(f"m{m}", f"host-{h:03d}", dev, float(start + i * step),
              round(rng.uniform(0, 100), 2))
        for h in range(hosts) for m in range(metrics) for dev in devs for i in range(samples)
    ]


def insert_points(client: Client, points: list[Point], token: str | None = None) -> None:
    settings = {"insert_deduplication_token": token} if token else {}
    client.insert("points", records.point_columns(points, None),
                  column_names=records.POINT_COLUMNS, column_oriented=True, settings=settings)


def scalar(client: Client, sql: str) -> object:
    return client.query(sql).result_rows[0][0]
