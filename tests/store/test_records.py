from __future__ import annotations

import math

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0

from poller.catalog import METRICS
from poller.points import Point
from store import queries
from store.records import point_columns, rounders
from store.settings import StoreSettings
from store.writer import Writer

# The two values issue 8 measured being lost: /proc/stat's btime, stored as 1796000000
# with 4 significant digits, and a 3.6 ms disk await that 2 decimals stored as 0.
BTIME = 1_796_055_870.0
AWAIT_S = 0.0036


@pytest.mark.parametrize(
    ("metric", "value", "kept"),
    [
        ("boot_time_seconds", BTIME, BTIME),
        ("disk_read_await_seconds", AWAIT_S, AWAIT_S),
        ("disk_write_await_seconds", 0.000461234, 0.0004612),
        ("disk_read_await_seconds", 1.23456, 1.235),
        ("net_rx_bytes_per_second", 123_456_789.0, 123_500_000.0),
        ("net_rx_errors_per_second", 0.0999001, 0.0999),
        ("cpu_busy_percent", 12.3456789, 12.35),
        ("cpu_busy_percent", 99.951, 99.95),
        ("mem_available_bytes", 6_012_345_678.0, 6_012_345_678.0),
        ("uptime_seconds", 1_296_000.47, 1_296_000.47),
        ("load1", 0.07, 0.07),
        ("load1_per_core", 0.000625, 0.000625),
        ("fs_inodes_free", 123_456_789.0, 123_456_789.0),
        ("not_in_the_catalog", 1.234567890123, 1.234567890123),
        ("disk_read_await_seconds", 0.0, 0.0),
        ("disk_util_percent", -3.14159, -3.14),
    ],
    ids=lambda v: str(v),
)
def test_values_keep_the_precision_their_metric_declares(
    metric: str, value: float, kept: float
) -> None:
    (stored,) = point_columns([Point(metric, "h", "", T0, value)], rounders(METRICS))[4]
    assert stored == kept


def test_non_finite_values_pass_through() -> None:
    by_metric = rounders(METRICS)
    values = point_columns(
        [Point(m, "h", "", T0, v) for m in ("cpu_busy_percent", "forks_per_second")
         for v in (math.nan, math.inf)],
        by_metric,
    )[4]
    assert math.isnan(values[0]) and values[1] == math.inf
    assert math.isnan(values[2]) and values[3] == math.inf


def test_exact_metrics_get_no_rounder_at_all() -> None:
    by_metric = rounders(METRICS)
    assert {m for m, s in METRICS.items() if s.precision.exact}.isdisjoint(by_metric)
    assert "boot_time_seconds" not in by_metric and "disk_read_await_seconds" in by_metric


def test_timestamps_are_stored_to_the_second() -> None:
    cols = point_columns([Point("m", "h", "", 1_700_000_000.9, 1.0)])
    assert cols[3] == [1_700_000_000]


def test_the_writer_stores_what_the_kernel_said(client: Client, settings: StoreSettings) -> None:
    """Through the real writer into real chDB and back: exact where the catalog says exact,
    within the declared relative precision where it says significant digits."""
    writer = Writer(settings)
    writer.submit(
        [
            Point("boot_time_seconds", "a", "", T0, BTIME),
            Point("disk_read_await_seconds", "a", "sda", T0, AWAIT_S),
            Point("disk_write_await_seconds", "a", "sda", T0, 0.000461234),
            Point("cpu_busy_percent", "a", "", T0, 12.3456789),
        ]
    )
    assert writer.close(10)
    got = {(r.metric, r.dev): r.value for r in queries.latest_host(client, "a")}
    assert got[("boot_time_seconds", "")] == BTIME
    assert got[("disk_read_await_seconds", "sda")] == AWAIT_S
    assert got[("disk_write_await_seconds", "sda")] == pytest.approx(0.000461234, rel=5e-4)
    assert got[("cpu_busy_percent", "")] == 12.35
    series = queries.series(client, "a", "boot_time_seconds", None, T0, T0 + 60)
    assert [p.avg for p in series.points] == [BTIME]  # the raw table, not only `latest`



def test_columns_of_many_hosts_devices_and_times() -> None:
    """A flush's points become the insert's columns, row i of each from point i."""
    points = [
        Point("cpu_busy_percent", "a", "", T0 + 0.7, 12.3456789),
        Point("net_rx_bytes_per_second", "a", "eth0", T0 + 0.7, 123_456_789.0),
        Point("boot_time_seconds", "b", "", T0 + 10.2, BTIME),
        Point("disk_util_percent", "b", "vda", T0 + 10.2, -0.0),
        Point("load1", "b", "", T0 + 10.2, 3.0),
    ]
    columns = point_columns(points, rounders(METRICS))
    assert columns == [
        [p.metric for p in points],
        ["a", "a", "b", "b", "b"],
        ["", "eth0", "", "vda", ""],
        [T0, T0, T0 + 10, T0 + 10, T0 + 10],
        [12.35, 123_500_000.0, BTIME, -0.0, 3.0],
    ]
    assert math.copysign(1, columns[4][3]) == -1  # -0.0 kept
    assert point_columns([]) == [[], [], [], [], []]
