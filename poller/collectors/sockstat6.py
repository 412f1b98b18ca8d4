"""sockstat6: IPv6 sockets in use (/proc/net/sockstat6), as node_exporter's sockstat.

Exposition only: the host-wide socket count (`sockets_used`) is stored by `sockstat`.
Optional: no /proc/net/sockstat6 without IPv6, and that is "unavailable".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_sockstat6
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.proc_net_sockstat6 import Sockstat6
from poller.collectors.base import Collector, Readings, Source, reading

SOCKSTAT6: Final = Source(
    "net_sockstat6", proc_net_sockstat6.parse, path="/proc/net/sockstat6", optional=True
)


def samples(r: Readings) -> Iterator[Sample]:
    sock = reading(r, "net_sockstat6", Sockstat6)
    if sock is None:
        return
    for proto, fields in sock.protocols.items():
        for key, value in fields.items():
            name = f"sockstat_{proto}_{key}"
            if METRIC_NAME.fullmatch(name):
                help_ = f"Number of {proto} sockets in state {key}."
                yield node_sample(name, value, "gauge", help_)


COLLECTOR: Final = Collector(
    "sockstat6",
    "IPv6 sockets in use (/proc/net/sockstat6), on /metrics only",
    (SOCKSTAT6,),
    samples=samples,
)
