"""netdev: bytes, packets, errors and drops per network interface (/proc/net/dev)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from operator import attrgetter
from typing import Final

from parsers import proc_net_dev
from parsers.exposition import Sample, node_sample
from parsers.proc_net_dev import NetDev, NetDevCounters
from poller.collectors.base import Collector, Readings, Source, Triple, counter_rates, reading
from poller.metric_spec import PCT, RATE, MetricSpec, P, R

NET_DEV: Final = Source("net_dev", proc_net_dev.parse, path="/proc/net/dev")

# fmt: off
# (metric, counter field) per interface
_RATES: Final = tuple((f"net_{name}_per_second", attrgetter(field)) for name, field in (
    ("rx_bytes", "rx_bytes_total"), ("tx_bytes", "tx_bytes_total"),
    ("rx_packets", "rx_packets_total"), ("tx_packets", "tx_packets_total"),
    ("rx_errors", "rx_errors_total"), ("tx_errors", "tx_errors_total"),
    ("rx_drops", "rx_dropped_total"), ("tx_drops", "tx_dropped_total"),
))
_LOSS_FIELDS: Final = tuple(map(attrgetter, (
    "rx_dropped_total", "rx_errors_total", "tx_dropped_total", "tx_errors_total",
)))
_PACKET_FIELDS: Final = tuple(map(attrgetter, ("rx_packets_total", "tx_packets_total")))
# node_exporter's names of NetDevCounters' columns, in the same order
FIELDS: Final = (
    "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo",
    "receive_frame", "receive_compressed", "receive_multicast", "transmit_bytes",
    "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls",
    "transmit_carrier", "transmit_compressed",
)
# fmt: on
_BPS: Final = "bytes_per_second"
_PS: Final = "per_second"
_IF: Final = "interface"
METRICS: Final = (
    MetricSpec("net_rx_bytes_per_second", _BPS, R, _IF, "Received", RATE),
    MetricSpec("net_tx_bytes_per_second", _BPS, R, _IF, "Sent", RATE),
    MetricSpec("net_rx_packets_per_second", _PS, R, _IF, "Packets received", RATE),
    MetricSpec("net_tx_packets_per_second", _PS, R, _IF, "Packets sent", RATE),
    MetricSpec("net_rx_errors_per_second", _PS, R, _IF, "Receive errors", RATE),
    MetricSpec("net_tx_errors_per_second", _PS, R, _IF, "Transmit errors", RATE),
    MetricSpec("net_rx_drops_per_second", _PS, R, _IF, "Received, dropped", RATE),
    MetricSpec("net_tx_drops_per_second", _PS, R, _IF, "Dropped on send", RATE),
    MetricSpec(
        "net_packet_loss_percent",
        P,
        P,
        _IF,
        "Drops and errors (both directions) as a share of all packets since the previous "
        "poll; absent while the interface moved no packets",
        PCT,
    ),
)


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    n0, n1 = reading(prev, "net_dev", NetDev), reading(cur, "net_dev", NetDev)
    if n0 is not None and n1 is not None:
        counter_rates(n0.interfaces, n1.interfaces, _RATES, dt, out)
        _packet_loss(n0.interfaces, n1.interfaces, out)


def _packet_loss(
    before: Mapping[str, NetDevCounters], after: Mapping[str, NetDevCounters], out: list[Triple]
) -> None:
    """Drops and errors as a share of every packet the interface handled, both directions.

    The kernel counts a dropped or failed packet apart from rx/tx_packets (which count
    only the ones that went through), so the whole is packets + drops + errors. With no
    packet at all there is no share to give: absent, never a fake 0 %."""
    for dev, i1 in after.items():
        i0 = before.get(dev)
        if i0 is None:
            continue
        bad = _sum_deltas(i0, i1, _LOSS_FIELDS)
        good = _sum_deltas(i0, i1, _PACKET_FIELDS)
        # None: a counter went back (reset or wrap), no share this poll
        if bad is not None and good is not None and good + bad:
            out.append(("net_packet_loss_percent", dev, bad / (good + bad) * 100.0))


def _sum_deltas(
    i0: NetDevCounters, i1: NetDevCounters, fields: tuple[attrgetter[int], ...]
) -> float | None:
    total = 0.0
    for field in fields:
        v0, v1 = field(i0), field(i1)
        if v1 < v0:
            return None
        total += v1 - v0
    return total


def samples(r: Readings) -> Iterator[Sample]:
    net = reading(r, "net_dev", NetDev)
    if net is None:
        return
    for device, counters in net.interfaces.items():
        labels = (("device", device),)
        for field, value in zip(FIELDS, counters, strict=True):
            help_ = f"Network device statistic {field}."
            yield node_sample(f"network_{field}_total", value, "counter", help_, labels)


COLLECTOR: Final = Collector(
    "netdev", "Network interfaces (/proc/net/dev)", (NET_DEV,), METRICS, None, rates, samples
)
