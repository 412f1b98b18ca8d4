"""sockstat: sockets in use and TCP TIME-WAIT (/proc/net/sockstat)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_sockstat
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.proc_net_sockstat import Sockstat
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

SOCKSTAT: Final = Source("net_sockstat", proc_net_sockstat.parse, path="/proc/net/sockstat")

METRICS: Final = (
    MetricSpec("sockets_used", "count", G, None, "Sockets in use (sockstat)", EXACT),
    MetricSpec("tcp_time_wait", "count", G, None, "TCP sockets in TIME-WAIT (sockstat tw)", EXACT),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    sock = reading(r, "net_sockstat", Sockstat)
    if sock is None:
        return
    if sock.sockets_used is not None:
        out.append(("sockets_used", "", sock.sockets_used))
    tw = sock.protocols.get("TCP", {}).get("tw")
    if tw is not None:
        out.append(("tcp_time_wait", "", tw))


def samples(r: Readings) -> Iterator[Sample]:
    # without *_mem_bytes: the target's page size is not read
    sock = reading(r, "net_sockstat", Sockstat)
    if sock is None:
        return
    if sock.sockets_used is not None:
        help_ = "Number of IPv4 sockets in use."
        yield node_sample("sockstat_sockets_used", sock.sockets_used, "gauge", help_)
    for proto, fields in sock.protocols.items():
        for key, value in fields.items():
            name = f"sockstat_{proto}_{key}"
            if METRIC_NAME.fullmatch(name):
                help_ = f"Number of {proto} sockets in state {key}."
                yield node_sample(name, value, "gauge", help_)


COLLECTOR: Final = Collector(
    "sockstat",
    "Sockets in use (/proc/net/sockstat)",
    (SOCKSTAT,),
    METRICS,
    gauges,
    None,
    samples,
    (
        NodeName("sockets_used", "node_sockstat_sockets_used", "Number of IPv4 sockets in use."),
        NodeName("tcp_time_wait", "node_sockstat_TCP_tw", "Number of TCP sockets in state tw."),
    ),
)
