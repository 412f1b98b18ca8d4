"""udp_queues: bytes queued on UDP sockets, IPv4 and IPv6 (/proc/net/udp, /proc/net/udp6).

Read at every 5th slow round, through grep, because these files grow with the sockets: on a
2-cpu Linux 6.18 VM with 19,000 UDP sockets open, reading /proc/net/udp cost the target
240 ms of CPU and 2.4 MB of text (1,000 sockets: 3 ms and 128 kB), against 1.3 ms for a
whole fast poll; node_exporter pays that at every scrape. `grep -v` drops the lines of
sockets with both queues empty (all but a few, on a healthy host), so what crosses the
wire stays a few lines; the sums are unchanged, as a dropped line adds 0. One grep reads
both files (-H names each line's file): every process the slow round starts costs the
target about 1 ms of CPU.
Exposition only: a queue that fills shows as drops in Udp RcvbufErrors, which `netstat`
stores every poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_udp
from parsers.exposition import Sample, node_sample
from parsers.proc_net_udp import UdpFiles
from poller.collectors.base import Collector, Readings, Source, reading

_FILES: Final = ("/proc/net/udp", "/proc/net/udp6")
# the queue column of an idle socket, with its separators: addresses print as
# hex:port (8:4 or 32:4 digits) and the timer as 2:8, so nothing else has this shape
_IDLE: Final = "' 00000000:00000000 '"
UDP: Final = Source(
    "net_udp",
    proc_net_udp.parse_grep,
    command=f"grep -H -v {_IDLE} {' '.join(_FILES)}",
    slow=True,
    reads=_FILES,
    # every 5th slow round (10 min at 10 s x 12): exposition only, and the grep's cost grows
    # with the sockets (0.75 ms per read here with a few hundred, 240 ms with 19,000),
    # while the drops a full queue causes are stored at every poll (Udp RcvbufErrors)
    every=5,
)
_HELP: Final = "Number of allocated memory in the kernel for UDP datagrams in bytes."


def samples(r: Readings) -> Iterator[Sample]:
    files = reading(r, "net_udp", UdpFiles)
    if files is None:
        return
    for ip, queues in (("v4", files.v4), ("v6", files.v6)):
        if queues is None:
            continue
        for queue, value in (("rx", queues.rx_bytes), ("tx", queues.tx_bytes)):
            yield node_sample("udp_queues", value, "gauge", _HELP, (("ip", ip), ("queue", queue)))


COLLECTOR: Final = Collector(
    "udp_queues",
    "Bytes queued on UDP sockets (/proc/net/udp, udp6; slow round), on /metrics only",
    (UDP,),
    samples=samples,
)
