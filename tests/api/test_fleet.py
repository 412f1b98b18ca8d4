"""Overview rows (pure): state with staleness, worst filesystem, net in/out without lo."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from api import fleet
from api.charts import CHARTS
from poller.catalog import METRICS
from poller.inventory import Host


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
    rows = {r.name: r for r in fleet.build(hosts, [], polls, {}, now=1100.0)}
    assert rows["a"].state == "stale" and "100 s ago" in rows["a"].reason
    # a failure keeps its own state and reason however old it is
    assert (rows["b"].state, rows["b"].reason) == ("timeout", "no answer in 10 s")


def test_never_polled_host_is_pending_with_empty_cells() -> None:
    (row,) = fleet.build([Host(name="new", address="new")], [], {}, {}, now=0.0)
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
    (row,) = fleet.build([Host(name="a", address="a")], latest, {}, {"a": 2}, now=0.0)
    assert row.values["fs"] == 91.0 and row.values["fs_mount"] == "/data"
    assert row.values["net_in"] == 150.0 and row.values["net_out"] is None
    assert row.values["cpu"] == 12.5 and row.alerts == 2


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.id)
def test_every_chart_draws_catalog_metrics_of_one_unit(chart: object) -> None:
    metrics = chart.metrics  # type: ignore[attr-defined]
    assert all(m in METRICS for m in metrics)
    assert len({METRICS[m].unit for m in metrics}) == 1
    assert len({METRICS[m].dev for m in metrics}) == 1
