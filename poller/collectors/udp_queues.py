"""udp_queues: bytes queued on UDP sockets, IPv4 and IPv6 (/proc/net/udp, /proc/net/udp6).

Read in the slow round, through grep, because these files grow with the sockets: on a
2-cpu Linux 6.18 VM with 19,000 UDP sockets open, reading /proc/net/udp cost the target
240 ms of CPU and 2.4 MB of text (1,000 sockets: 3 ms and 128 kB), against 1.3 ms for a
whole fast poll; node_exporter pays that at every scrape. `grep -v` drops the lines of
sockets with both queues empty (all but a few, on a healthy host), so what crosses the
wire stays a few lines; the sums are unchanged, as a dropped line adds 0.
Exposition only: a queue that fills shows as drops in Udp RcvbufErrors, which `netstat`
stores every poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_udp
from parsers.exposition import Sample, node_sample
from parsers.proc_net_udp import UdpQueues
from poller.collectors.base import Collector, Readings, Source, reading

# the queue column of an idle socket, with its separators: addresses print as
# hex:port (8:4 or 32:4 digits) and the timer as 2:8, so nothing else has this shape
_NONEMPTY: Final = "grep -v ' 00000000:00000000 '"
SOURCES: Final = (
    Source(
        "net_udp",
        proc_net_udp.parse,
        command=f"{_NONEMPTY} /proc/net/udp",
        slow=True,
        reads="/proc/net/udp",
    ),
    Source(
        "net_udp6",
        proc_net_udp.parse6,
        command=f"{_NONEMPTY} /proc/net/udp6",
        slow=True,
        optional=True,
        reads="/proc/net/udp6",
    ),
)
_HELP: Final = "Number of allocated memory in the kernel for UDP datagrams in bytes."


def samples(r: Readings) -> Iterator[Sample]:
    for section, ip in (("net_udp", "v4"), ("net_udp6", "v6")):
        queues = reading(r, section, UdpQueues)
        if queues is None:
            continue
        for queue, value in (("rx", queues.rx_bytes), ("tx", queues.tx_bytes)):
            yield node_sample("udp_queues", value, "gauge", _HELP, (("ip", ip), ("queue", queue)))


COLLECTOR: Final = Collector(
    "udp_queues",
    "Bytes queued on UDP sockets (/proc/net/udp, udp6; slow round), on /metrics only",
    SOURCES,
    samples=samples,
)
