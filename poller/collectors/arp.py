"""arp: IPv4 neighbour table entries per device (/proc/net/arp).

Stored as the host-wide total: when the table reaches net.ipv4.neigh.default.gc_thresh3
the kernel logs "neighbour table overflow" and new neighbours fail, so the total is what
an alert compares with that limit. Per device only on /metrics (devices capped like
interfaces, poller/derive_cap.py).

Read every poll: the file has one line per neighbour, a few on most hosts; a router or
a host on a large flat L2 network can list thousands (about 80 bytes each).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_arp
from parsers.exposition import Sample, node_sample
from parsers.proc_net_arp import Arp
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

ARP: Final = Source("net_arp", proc_net_arp.parse, path="/proc/net/arp")

# precision: the count as read (a small integer that repeats)
METRICS: Final = (
    MetricSpec("arp_entries", "count", G, None, "IPv4 neighbour table entries, all devices",
               EXACT),
)  # fmt: skip


def gauges(r: Readings, out: list[Triple]) -> None:
    arp = reading(r, "net_arp", Arp)
    if arp is not None:
        out.append(("arp_entries", "", arp.entries))


def samples(r: Readings) -> Iterator[Sample]:
    arp = reading(r, "net_arp", Arp)
    if arp is None:
        return
    for device, count in arp.devices.items():
        yield node_sample("arp_entries", count, "gauge", "ARP entries by device",
                          (("device", device),))  # fmt: skip


COLLECTOR: Final = Collector(
    "arp",
    "IPv4 neighbour (ARP) table entries per device (/proc/net/arp)",
    (ARP,),
    METRICS,
    gauges,
    None,
    samples,
)
