"""Overview rows (pure): state with staleness, worst filesystem, net in/out without lo."""

from __future__ import annotations

import random
from typing import Any, NamedTuple

import pytest

from api import fleet
from api.charts import CHARTS
from api.fleetcache import FleetCache, overview_tap
from api.hub import Hub
from api.sparks import Sparks
from poller.catalog import METRICS
from poller.inventory import Host
from poller.points import HostState, Point, PollStatus


class Latest(NamedTuple):
    host: str
    metric: str
    dev: str
    value: float


class Poll(NamedTuple):
    ts: float
    state: str
    reason: str


def test_ok_host_that_went_quiet_is_stale_with_the_age() -> None:
    hosts = [Host(name="a", address="a", interval=10), Host(name="b", address="b", interval=10)]
    polls = {"a": Poll(1000.0, "ok", ""), "b": Poll(1000.0, "timeout", "no answer in 10 s")}
    rows = {r.name: r for r in fleet.build(hosts, {}, polls, {}, now=1100.0)}
    assert rows["a"].state == "stale" and "100 s ago" in rows["a"].reason
    # a failure keeps its own state and reason however old it is
    assert (rows["b"].state, rows["b"].reason) == ("timeout", "no answer in 10 s")


def test_never_polled_host_is_pending_with_empty_cells() -> None:
    (row,) = fleet.build([Host(name="new", address="new")], {}, {}, {}, now=0.0)
    assert row.state == "pending" and row.values["cpu"] is None and row.last_poll is None


def test_cells_from_latest_values() -> None:
    latest = [
        Latest("a", "fs_used_percent", "/", 40.0),
        Latest("a", "fs_used_percent", "/data", 91.0),
        Latest("a", "net_rx_bytes_per_second", "eth0", 100.0),
        Latest("a", "net_rx_bytes_per_second", "eth1", 50.0),
        Latest("a", "net_rx_bytes_per_second", "lo", 1e9),
        Latest("a", "cpu_busy_percent", "", 12.5),
        Latest("a", "load5", "", 9.0),
    ]
    cells = fleet.cells_by_host(latest)
    (row,) = fleet.build([Host(name="a", address="a")], cells, {}, {"a": 2}, now=0.0)
    assert row.values["fs"] == 91.0 and row.values["fs_mount"] == "/data"
    assert row.values["net_in"] == 150.0 and row.values["net_out"] is None
    assert row.values["cpu"] == 12.5 and row.alerts == 2


def test_cache_follows_live_polls_and_keeps_slow_cells() -> None:
    cache = FleetCache()
    cache.replace(
        [Latest("a", "fs_used_percent", "/", 70.0), Latest("a", "cpu_busy_percent", "", 5.0)],
        [Poll2("a", 100.0, "ok", "")],
    )
    # a fast poll carries cpu but not df: the worst filesystem stays what the last df said
    cache.apply(
        "a",
        PollStatus("a", 110.0, HostState.OK, "", 0.1),
        [Point("cpu_busy_percent", "a", "", 110.0, 55.0)],
    )
    (row,) = cache.rows(_Ctx([Host(name="a", address="a")]), {}, now=111.0)  # type: ignore[arg-type]
    assert (row.values["cpu"], row.values["fs"], row.last_poll) == (55.0, 70.0, 110.0)
    # a reload that raced with the poll does not put the older poll back
    cache.replace([], [Poll2("a", 100.0, "timeout", "slow")])
    assert cache.polls["a"].ts == 110.0 and cache.polls["a"].state == "ok"


def test_one_overview_tap_feeds_the_cells_and_the_host_wide_cpu_sparkline() -> None:
    cache, sparks, hub = FleetCache(), Sparks(), Hub()
    hub.taps.append(overview_tap(cache, sparks))
    points = [
        Point("cpu_busy_percent", "a", "", 120.0, 40.0),
        Point("cpu_busy_percent", "a", "cpu0", 120.0, 99.0),  # a per-cpu series: no sparkline
        Point("mem_used_percent", "a", "", 120.0, 61.25),
        Point("disk_read_bytes_per_second", "a", "sda", 120.0, 5.0),  # not on the overview
    ]
    hub.publish("a", PollStatus("a", 120.0, HostState.OK, "", 0.1), points)
    hub.publish("b", PollStatus("b", 121.0, HostState.TIMEOUT, "no answer", 10.0), [])
    spark = sparks.values(now=120.0)["a"]
    assert spark[-1] == 40.0 and spark.count(None) == 59
    assert "b" not in sparks.values(now=121.0)
    # the cells are what the overview's rule makes of all the poll's points
    assert cache.cells["a"] == fleet.row_values((p.metric, p.dev, p.value) for p in points)
    assert cache.cells["a"]["mem"] == 61.25
    assert cache.polls["b"].state == "timeout" and "b" not in cache.cells


class Poll2(NamedTuple):
    host: str
    ts: float
    state: str
    reason: str


class _Ctx:
    def __init__(self, hosts: list[Host]) -> None:
        self.inventory = type("Inv", (), {"hosts": hosts})()


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.id)
def test_every_chart_draws_catalog_metrics_of_one_unit(chart: object) -> None:
    metrics = chart.metrics  # type: ignore[attr-defined]
    assert all(m in METRICS for m in metrics)
    assert len({METRICS[m].unit for m in metrics}) == 1
    assert len({METRICS[m].dev for m in metrics}) == 1


def test_cells_worked_out_when_read_are_the_cells_of_every_poll_in_order() -> None:
    """The cache defers the cells to the read and skips polls a later one overwrites: the
    result must be what applying every poll's row_values in order gives."""
    rng = random.Random(5)
    devs = {
        "fs_used_percent": ["/", "/var", "/boot"],
        "net_rx_bytes_per_second": ["eth0", "lo", "ifb0", "eth1"],
        "net_tx_bytes_per_second": ["eth0", "lo", "ifb1"],
    }
    metrics = [*sorted(fleet.OVERVIEW_METRICS), "disk_read_bytes_per_second"]
    for _ in range(200):
        cache, eager, seen = FleetCache(), dict[str, Any](), 0
        for poll in range(rng.randint(1, 12)):
            points = [
                Point(m, "a", d, float(poll), rng.choice([0.0, 1.5, 33.333333, 1e9 / 7]))
                for m in rng.sample(metrics, rng.randint(0, len(metrics)))
                for d in rng.sample(devs.get(m, [""]), rng.randint(1, len(devs.get(m, [""]))))
            ]
            cache.apply("a", PollStatus("a", float(poll), HostState.OK, "", 0.1), points)
            eager.update(fleet.row_values((p.metric, p.dev, p.value) for p in points))
            seen += 1
            if rng.random() < 0.2:  # read in between now and then
                assert cache.cells.get("a", {}) == eager
        assert cache.cells.get("a", {}) == eager, seen


def test_a_sparkline_holds_the_last_hour_of_minute_averages_however_long_it_runs() -> None:
    sparks = Sparks()
    epoch = 1_700_000_040.0  # a minute's start: every 6th poll opens a bucket
    for i in range(6 * 150):  # two and a half hours of 10 s polls
        sparks.add("a", epoch + 10 * i, float(i // 6) + (i % 2))  # odd polls 1 higher
    now = epoch + 10 * (6 * 150 - 1)
    row = sparks.values(now)["a"]
    # minute m saw 6 polls of m and m+1 alternately: its average is m + 0.5
    assert row == [m + 0.5 for m in range(90, 150)]
    assert len(sparks._rings["a"]) == 3 * 60  # an hour kept, nothing older
    sparks.add("a", epoch, 1e9)  # a late point for a bucket long gone: ignored
    sparks.add("a", now - 60, 1e9)  # and for the minute before the newest: ignored too
    assert sparks.values(now)["a"] == row
    # an hour later with no polls, the row is empty but still there
    assert sparks.values(now + 3600)["a"] == [None] * 60
