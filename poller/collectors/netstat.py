"""netstat: TCP/UDP counters from /proc/net/snmp and /proc/net/netstat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_netstat, proc_net_snmp
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.exposition_filters import NETSTAT_FIELDS
from parsers.proc_net_netstat import NetNetstat
from parsers.proc_net_snmp import NetSnmp
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, counter_rate
from poller.metric_spec import EXACT, RATE, G, MetricSpec, R

SNMP: Final = Source("net_snmp", proc_net_snmp.parse, path="/proc/net/snmp")
NETSTAT: Final = Source("net_netstat", proc_net_netstat.parse, path="/proc/net/netstat")

# (metric, section, protocol, field) of host-wide counters
_RATES: Final = (
    ("tcp_retransmits_per_second", "net_snmp", "Tcp", "RetransSegs"),
    ("tcp_active_opens_per_second", "net_snmp", "Tcp", "ActiveOpens"),
    ("tcp_passive_opens_per_second", "net_snmp", "Tcp", "PassiveOpens"),
    ("tcp_in_errors_per_second", "net_snmp", "Tcp", "InErrs"),
    ("udp_rcvbuf_errors_per_second", "net_snmp", "Udp", "RcvbufErrors"),
    ("tcp_listen_drops_per_second", "net_netstat", "TcpExt", "ListenDrops"),
)
_PS: Final = "per_second"
METRICS: Final = (
    MetricSpec(
        "tcp_retransmits_per_second",
        _PS,
        R,
        None,
        "TCP segments retransmitted (Tcp RetransSegs)",
        RATE,
    ),
    MetricSpec(
        "tcp_established",
        "count",
        G,
        None,
        "TCP connections ESTABLISHED or CLOSE-WAIT (Tcp CurrEstab)",
        EXACT,
    ),
    MetricSpec("tcp_active_opens_per_second", _PS, R, None, "Outgoing connects", RATE),
    MetricSpec("tcp_passive_opens_per_second", _PS, R, None, "Accepted connects", RATE),
    MetricSpec(
        "tcp_listen_drops_per_second",
        _PS,
        R,
        None,
        "SYNs dropped at a listening socket (TcpExt ListenDrops)",
        RATE,
    ),
    MetricSpec("tcp_in_errors_per_second", _PS, R, None, "Bad TCP segments received", RATE),
    MetricSpec(
        "udp_rcvbuf_errors_per_second",
        _PS,
        R,
        None,
        "UDP datagrams dropped for a full receive buffer",
        RATE,
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    snmp = r.get("net_snmp")
    established = snmp.get("Tcp", "CurrEstab") if isinstance(snmp, NetSnmp) else None
    if established is not None:
        out.append(("tcp_established", "", established))


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    for name, section, proto, key in _RATES:
        t0, t1 = prev.get(section), cur.get(section)
        if isinstance(t0, NetSnmp | NetNetstat) and isinstance(t1, NetSnmp | NetNetstat):
            rate = counter_rate(t0.get(proto, key), t1.get(proto, key), dt)
            if rate is not None:
                out.append((name, "", rate))


def samples(r: Readings) -> Iterator[Sample]:
    for section in ("net_snmp", "net_netstat"):
        table = r.get(section)
        if not isinstance(table, NetSnmp | NetNetstat):
            continue
        for proto, fields in table.protocols.items():
            for field, value in fields.items():
                key = f"{proto}_{field}"
                if NETSTAT_FIELDS.match(key) and METRIC_NAME.fullmatch(key):
                    help_ = f"Statistic {proto}{field}."
                    yield node_sample(f"netstat_{key}", value, "untyped", help_)


COLLECTOR: Final = Collector(
    "netstat",
    "TCP and UDP counters (/proc/net/snmp, /proc/net/netstat)",
    (SNMP, NETSTAT),
    METRICS,
    gauges,
    rates,
    samples,
    (
        NodeName(
            "tcp_established",
            "node_netstat_Tcp_CurrEstab",
            "Statistic TcpCurrEstab.",
            untyped=True,
        ),
    ),
)
