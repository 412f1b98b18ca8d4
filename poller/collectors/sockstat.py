"""sockstat: sockets in use, TCP TIME-WAIT and socket memory (/proc/net/sockstat).

sockstat counts socket memory (`mem`) in pages. The target's page size is read with
`getconf PAGESIZE` in the slow round (it cannot change while the host runs); 4096 is never
assumed, as arm64 and ppc64 kernels use 16 or 64 KiB pages. Without it (no getconf, as on
a bare busybox) there are no *_mem_bytes: unavailable, not a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import cmd_getconf_pagesize, proc_net_sockstat
from parsers.cmd_getconf_pagesize import PageSize
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.proc_net_sockstat import Sockstat
from poller.collectors.base import (
    FIXED_WHILE_UP,
    Collector,
    NodeName,
    Readings,
    Source,
    Triple,
    reading,
)
from poller.metric_spec import EXACT, G, MetricSpec

SOCKSTAT: Final = Source("net_sockstat", proc_net_sockstat.parse, path="/proc/net/sockstat")
PAGESIZE: Final = Source(
    "pagesize",
    cmd_getconf_pagesize.parse,
    command="getconf PAGESIZE",
    slow=True,
    optional=True,
    held=True,  # tcp_mem_bytes is derived at every poll, with the last page size read
    every=FIXED_WHILE_UP,  # the kernel's, fixed until it boots again
)

METRICS: Final = (
    MetricSpec("sockets_used", "count", G, None, "Sockets in use (sockstat)", EXACT),
    MetricSpec("tcp_time_wait", "count", G, None, "TCP sockets in TIME-WAIT (sockstat tw)", EXACT),
    # compared with net.ipv4.tcp_mem (also in pages): past its pressure threshold the
    # kernel shrinks buffers, past the max it drops segments. Exact: pages x page size is
    # an integer the kernel's own count fixes
    MetricSpec("tcp_mem_bytes", "bytes", G, None, "Memory of all TCP sockets (sockstat mem "
               "x page size)", EXACT),
)  # fmt: skip


def gauges(r: Readings, out: list[Triple]) -> None:
    sock = reading(r, "net_sockstat", Sockstat)
    if sock is None:
        return
    if sock.sockets_used is not None:
        out.append(("sockets_used", "", sock.sockets_used))
    tcp = sock.protocols.get("TCP", {})
    tw = tcp.get("tw")
    if tw is not None:
        out.append(("tcp_time_wait", "", tw))
    page = reading(r, "pagesize", PageSize)
    pages = tcp.get("mem")
    if page is not None and pages is not None:
        out.append(("tcp_mem_bytes", "", pages * page.bytes))


def samples(r: Readings) -> Iterator[Sample]:
    sock = reading(r, "net_sockstat", Sockstat)
    if sock is None:
        return
    page = reading(r, "pagesize", PageSize)
    if sock.sockets_used is not None:
        help_ = "Number of IPv4 sockets in use."
        yield node_sample("sockstat_sockets_used", sock.sockets_used, "gauge", help_)
    for proto, fields in sock.protocols.items():
        for key, value in fields.items():
            name = f"sockstat_{proto}_{key}"
            if METRIC_NAME.fullmatch(name):
                help_ = f"Number of {proto} sockets in state {key}."
                yield node_sample(name, value, "gauge", help_)
            if key == "mem" and page is not None and METRIC_NAME.fullmatch(name):
                # node_exporter's name and (odd) help for the same value in bytes
                help_ = f"Number of {proto} sockets in state mem_bytes."
                yield node_sample(f"{name}_bytes", value * page.bytes, "gauge", help_)


COLLECTOR: Final = Collector(
    "sockstat",
    "Sockets in use and socket memory (/proc/net/sockstat; page size: getconf PAGESIZE)",
    (SOCKSTAT, PAGESIZE),
    METRICS,
    gauges,
    None,
    samples,
    (
        NodeName("sockets_used", "node_sockstat_sockets_used", "Number of IPv4 sockets in use."),
        NodeName("tcp_time_wait", "node_sockstat_TCP_tw", "Number of TCP sockets in state tw."),
        NodeName(
            "tcp_mem_bytes",
            "node_sockstat_TCP_mem_bytes",
            "Number of TCP sockets in state mem_bytes.",
        ),
    ),
)
