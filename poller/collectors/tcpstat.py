"""tcpstat: TCP connections per state, IPv4 and IPv6 (`ss -tan`, slow round).

Why `ss -tan | awk` in the slow round (bench/tcp_states_cost.py, bench/README.md): on a
2-vCPU VM, target CPU per call was about 4.5 ms with 200 sockets and 115 ms with 62k,
against 1.3 ms for a whole fast poll, so every poll would multiply the probe's cost. Awk
over /proc/net/tcp{,6} (node_exporter's way) cost more at every size (12 ms with 200
sockets, 142 ms with 62k: the kernel walks its whole established hash table to print the
file), and one `ss state X | wc -l` per state cost twice as much again. So ss where it
exists (iproute2: Debian, RHEL), /proc where it does not (Alpine without iproute2), and
nothing (unavailable) where neither answers. `-H` is not used: iproute2 before 4.13 lacks
it, and awk drops the header line instead. An awk that saw no line at all (ss failed, no
/proc/net/tcp) exits 1 so the section reads as unavailable, never as zero connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import cmd_tcp_states
from parsers.cmd_tcp_states import TcpStates
from parsers.exposition import Sample, node_sample
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

_COUNT: Final = "END {if (!NR) exit 1; for (s in n) print s, n[s]}"
COMMAND: Final = (
    "if command -v ss >/dev/null 2>&1; then "
    f"$_sm_t ss -tan | awk 'NR>1 {{n[$1]++}} {_COUNT}'; "
    "else cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | "
    f"awk '$1 != \"sl\" {{n[$4]++}} {_COUNT}'; fi"
)
TCP_STATES: Final = Source(
    "tcp_states",
    cmd_tcp_states.parse,
    command=COMMAND,
    slow=True,
    # every 5th slow round (10 min at 10 s x 12): the slow round's dearest section (~4 ms,
    # three processes, more with many sockets) for counts whose trend is what matters
    # (a CLOSE_WAIT leak grows for hours); sockets in use and TIME-WAIT come from sockstat
    # at every poll
    every=5,
)

HELP: Final = "Number of connection states."
METRICS: Final = (
    MetricSpec(
        "tcp_connections",
        "count",
        G,
        "state",
        "TCP sockets per state, IPv4 and IPv6 (ss -tan; node_tcp_connection_states)",
        EXACT,
        slow=True,
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    tcp = reading(r, "tcp_states", TcpStates)
    if tcp is None:
        return
    for state, n in tcp.counts.items():
        out.append(("tcp_connections", state, n))


def samples(r: Readings) -> Iterator[Sample]:
    # Every state, zeros included: node_exporter omits a state no socket is in, but a
    # zero here is a count, and it lets `close_wait > 100` resolve. Without its
    # rx_/tx_queued_bytes pseudo-states: ss -tan's queue columns mean backlog, not bytes,
    # on a listening socket, and /proc prints them in hex, which POSIX awk cannot read.
    tcp = reading(r, "tcp_states", TcpStates)
    if tcp is None:
        return
    for state, n in tcp.counts.items():
        yield node_sample("tcp_connection_states", n, "gauge", HELP, (("state", state),))


COLLECTOR: Final = Collector(
    "tcpstat",
    "TCP connections per state (ss -tan or /proc/net/tcp{,6}; slow round)",
    (TCP_STATES,),
    METRICS,
    gauges,
    None,
    samples,
    (NodeName("tcp_connections", "node_tcp_connection_states", HELP, dev_label="state"),),
)
