"""net_packet_loss_percent: drops and errors as a share of all packets, per interface, and
the shipped rule that reads it."""

from __future__ import annotations

import pytest

from alerts.defaults import SHIPPED
from parsers.proc_net_dev import NetDev, NetDevCounters
from poller.catalog import METRICS
from poller.derive import Snapshot, derive

ZERO = NetDevCounters(*[0] * 16)


def _net(**counters: int) -> dict[str, object]:
    return {"net_dev": NetDev({"eth0": ZERO._replace(**counters)})}


def _loss(before: dict[str, int], after: dict[str, int]) -> float | None:
    points = derive("h", Snapshot(0, _net(**before)), Snapshot(10, _net(**after)))
    found = [p.value for p in points if p.metric == "net_packet_loss_percent"]
    return found[0] if found else None


@pytest.mark.parametrize(
    ("before", "after", "loss"),
    [
        pytest.param({}, {"rx_packets_total": 990, "rx_dropped_total": 10}, 1.0, id="rx-drops"),
        pytest.param(
            {},
            {
                "rx_packets_total": 500,
                "tx_packets_total": 480,
                "rx_errors_total": 5,
                "tx_errors_total": 5,
                "tx_dropped_total": 10,
            },
            2.0,
            id="both-directions",
        ),
        pytest.param({}, {"rx_packets_total": 100}, 0.0, id="clean"),
        pytest.param({}, {}, None, id="no-packets-no-share"),
        pytest.param(
            {"rx_packets_total": 100, "rx_dropped_total": 50},
            {"rx_packets_total": 200, "rx_dropped_total": 3},
            None,
            id="counter-reset",
        ),
    ],
)
def test_packet_loss_share(
    before: dict[str, int], after: dict[str, int], loss: float | None
) -> None:
    got = _loss(before, after)
    assert got == (pytest.approx(loss) if loss is not None else None)


def test_the_shipped_rule_reads_a_catalog_percentage() -> None:
    [rule] = [r for r in SHIPPED if r["name"] == "net_packet_loss"]
    spec = METRICS[rule["metric"]]
    assert spec.unit == "percent" and spec.dev == "interface"
    assert rule["warning"] == 1 and "lo" in rule["exclude_devices"]
