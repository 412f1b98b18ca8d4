"""netclass: link state per interface (/sys/class/net/*/{operstate,carrier,speed,mtu,duplex}).

Every poll, by glob: interface names are only known on the target. Stored as numbers so
they can be charted and alerted on: the operational state as the kernel numbers it
(IF_OPER_*: 2 down, 6 up, …), carrier 0/1, speed in bytes/s (Mb/s x 125,000 as
node_exporter's node_network_speed_bytes), MTU, duplex as ethtool numbers it (0 half,
1 full). Unreadable values (speed of a down or virtual interface) are absent, never 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_class_net
from parsers.exposition import Sample, node_sample
from parsers.sys_class_net import DUPLEX, OPER_STATES, NetClass, NetLink
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

# What changes and pages (a link going down) every poll; what changes only when a link is
# renegotiated or reconfigured (speed, duplex, MTU) in the slow round, a third of the files
NET_CLASS: Final = Source(
    "net_class",
    sys_class_net.parse,
    globs=("/sys/class/net/*/operstate", "/sys/class/net/*/carrier"),
)
NET_LINK: Final = Source(
    "net_link",
    sys_class_net.parse,
    globs=tuple(f"/sys/class/net/*/{a}" for a in ("speed", "mtu", "duplex")),
    slow=True,
)
MBPS_TO_BYTES: Final = 125_000  # 1 Mb/s = 10**6 bits/s = 125,000 bytes/s (node_exporter too)
_IF: Final = "interface"
METRICS: Final = (
    MetricSpec(
        "net_oper_state",
        "count",
        G,
        _IF,
        "Operational state, RFC 2863 as the kernel numbers it: 0 unknown, 1 notpresent, "
        "2 down, 3 lowerlayerdown, 4 testing, 5 dormant, 6 up",
        EXACT,
    ),
    MetricSpec("net_carrier", "count", G, _IF, "Carrier (link) detected: 1 yes, 0 no", EXACT),
    MetricSpec(
        "net_speed_bytes_per_second",
        "bytes_per_second",
        G,
        _IF,
        "Link speed the driver negotiated; absent where it has none (down, virtual)",
        EXACT,
        slow=True,
    ),
    MetricSpec("net_mtu_bytes", "bytes", G, _IF, "MTU", EXACT, slow=True),
    MetricSpec(
        "net_duplex", "count", G, _IF, "Duplex: 1 full, 0 half; absent if unknown", EXACT, slow=True
    ),
)
OPER_UP: Final = OPER_STATES.index("up")


def links(r: Readings) -> dict[str, NetLink]:
    """Each interface's attributes from the every-poll and the slow-round readings (either
    may be missing: a slow reading is only in the snapshot of a slow round)."""
    fast, slow = reading(r, "net_class", NetClass), reading(r, "net_link", NetClass)
    if fast is None or slow is None:
        one = fast or slow
        return dict(one.interfaces) if one is not None else {}
    out = {}
    for dev in dict.fromkeys((*fast.interfaces, *slow.interfaces)):
        f, s = fast.interfaces.get(dev, NetLink()), slow.interfaces.get(dev, NetLink())
        out[dev] = NetLink(f.operstate, f.carrier, s.speed_mbps, s.mtu, s.duplex)
    return out


def gauges(r: Readings, out: list[Triple]) -> None:
    add = out.append
    for dev, link in links(r).items():
        if link.operstate is not None:
            add(("net_oper_state", dev, OPER_STATES.index(link.operstate)))
        if link.carrier is not None:
            add(("net_carrier", dev, link.carrier))
        if link.speed_mbps is not None:
            add(("net_speed_bytes_per_second", dev, link.speed_mbps * MBPS_TO_BYTES))
        if link.mtu is not None:
            add(("net_mtu_bytes", dev, link.mtu))
        if link.duplex in DUPLEX:
            add(("net_duplex", dev, DUPLEX[link.duplex]))


def samples(r: Readings) -> Iterator[Sample]:
    """node_exporter's netclass names; node_network_info carries only the labels read here
    (device, operstate, duplex: no address, broadcast or ifalias)."""
    for dev, link in links(r).items():
        labels = (("device", dev),)
        if link.operstate is not None:
            info = (*labels, ("duplex", link.duplex or ""), ("operstate", link.operstate))
            yield node_sample("network_info", 1, "gauge", _HELP_INFO, info)
            up = 1 if link.operstate == "up" else 0
            yield node_sample("network_up", up, "gauge", _HELP_UP, labels)
        if link.carrier is not None:
            yield node_sample("network_carrier", link.carrier, "gauge", _HELP_CARRIER, labels)
        if link.mtu is not None:
            yield node_sample("network_mtu_bytes", link.mtu, "gauge", _HELP_MTU, labels)
        if link.speed_mbps is not None:
            speed = link.speed_mbps * MBPS_TO_BYTES
            yield node_sample("network_speed_bytes", speed, "gauge", _HELP_SPEED, labels)


_HELP_INFO: Final = "Non-numeric data from /sys/class/net/<iface>, value is always 1."
_HELP_UP: Final = "Value is 1 if operstate is 'up', 0 otherwise."
_HELP_CARRIER: Final = "Network device property: carrier"
_HELP_MTU: Final = "Network device property: mtu_bytes"
_HELP_SPEED: Final = "Network device property: speed_bytes"

COLLECTOR: Final = Collector(
    "netclass",
    "Link state per interface (/sys/class/net/*/operstate, carrier, speed, mtu, duplex)",
    (NET_CLASS, NET_LINK),
    METRICS,
    gauges,
    None,
    samples,
)
