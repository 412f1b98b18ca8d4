"""netclass: link state, carrier changes and identifiers per interface (/sys/class/net/*/).

Every poll, by glob: interface names are only known on the target. Stored as numbers so
they can be charted and alerted on: the operational state as the kernel numbers it
(IF_OPER_*: 2 down, 6 up, …), carrier 0/1, speed in bytes/s (Mb/s x 125,000 as
node_exporter's node_network_speed_bytes), MTU, duplex as ethtool numbers it (0 half,
1 full), and the carrier changes (link flaps) since the previous slow round. Unreadable
values (speed of a down or virtual interface) are absent, never 0.

node_exporter's other per-interface families (node_network_flags, iface_id, protocol_type,
…) go to /metrics only, from the last reading of the identifiers (NET_IDS).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Final

from parsers import sys_class_net
from parsers.exposition import Sample, node_sample
from parsers.sys_class_net import COUNTERS, DUPLEX, IDS, OPER_STATES, NetClass, NetLink
from poller.collectors.base import RARE_FILES_EVERY, Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

# What changes and pages (a link going down) every poll. What changes only when a link is
# renegotiated or reconfigured (speed, duplex, MTU) or flaps (the carrier counters: the
# flap itself shows in operstate/carrier at every poll) in the slow round: the counters
# are counts since the interface came, so a round that reads them misses no flap.
NET_CLASS: Final = Source(
    "net_class",
    sys_class_net.parse,
    globs=("/sys/class/net/*/operstate", "/sys/class/net/*/carrier"),
)
NET_LINK: Final = Source(
    "net_link",
    sys_class_net.parse,
    globs=tuple(f"/sys/class/net/*/{a}" for a in ("speed", "mtu", "duplex", *COUNTERS)),
    slow=True,
    # kept until the next slow round, whose carrier changes are counted from this one's
    carried=True,
)
# Identifiers and settings (index, type, flags, queue length, …) change only when someone
# reconfigures the interface: every 5th slow round (10 min at 10 s x 12), in the `head`
# of that cadence (time's clocksource and selinux are in it too, so no process is added).
# Eleven files per interface at every slow round would cost the target five times the
# reads; /metrics shows the last reading in between, and an interface that is gone from
# the every-poll reading is gone from /metrics at once (`links`).
NET_IDS: Final = Source(
    "net_ids",
    sys_class_net.parse,
    globs=tuple(f"/sys/class/net/*/{a}" for a in IDS),
    slow=True,
    every=RARE_FILES_EVERY,
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
    MetricSpec(
        "net_carrier_changes",
        "count",
        G,
        _IF,
        "Carrier changes (link up or down) since the previous slow round: above 0, the link "
        "flapped (sysfs carrier_changes)",
        EXACT,
        slow=True,
    ),
)
OPER_UP: Final = OPER_STATES.index("up")


_NONE: Final = NetLink()
_NO_LINKS: Final[Mapping[str, NetLink]] = MappingProxyType({})


def links(r: Readings) -> dict[str, NetLink]:
    """Each interface's attributes from the every-poll, the slow-round and the identifiers'
    readings (the slower ones may be missing: a slow reading is only in the snapshot of a
    slow round). The every-poll reading says which interfaces there are: one deleted since
    a slower reading was taken (a container's veth) is not shown with that reading's values."""
    fast, slow, ids = (_interfaces(r, s) for s in ("net_class", "net_link", "net_ids"))
    if not slow and not ids:
        return dict(fast)  # a poll between two slow rounds: nothing to join
    out = {}
    for dev in fast or {**slow, **ids}:
        f, s, i = fast.get(dev, _NONE), slow.get(dev, _NONE), ids.get(dev, _NONE)
        out[dev] = NetLink(
            f.operstate,
            f.carrier,
            s.speed_mbps,
            s.mtu,
            s.duplex,
            s.carrier_changes_total,
            s.carrier_up_total,
            s.carrier_down_total,
            i.ids,
        )
    return out


def _interfaces(r: Readings, section: str) -> Mapping[str, NetLink]:
    got = reading(r, section, NetClass)
    return got.interfaces if got is not None else _NO_LINKS


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


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    """Carrier changes between this slow round's reading and the previous round's (kept by
    the poller, `Source.carried`): a count, not a rate. Flaps are rare events, and "2 in
    the last round" reads and alerts (`> 0`) better than 0.0167/s; the round's length is
    the host's interval x slow_every. A counter that went back (the interface was deleted
    and made again under the same name) gives nothing this round."""
    l1 = _interfaces(cur, "net_link")
    if not l1:
        return  # not a slow round: nothing new to count
    l0 = _interfaces(prev, "net_link")
    add = out.append
    for dev, link in l1.items():
        before = l0.get(dev)
        c1 = link.carrier_changes_total
        if before is None or c1 is None:
            continue
        c0 = before.carrier_changes_total
        if c0 is not None and c1 >= c0:
            add(("net_carrier_changes", dev, float(c1 - c0)))


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
        for name, value in (
            ("carrier_changes_total", link.carrier_changes_total),
            ("carrier_up_changes_total", link.carrier_up_total),
            ("carrier_down_changes_total", link.carrier_down_total),
        ):
            if value is not None:
                yield node_sample(f"network_{name}", value, "counter", _help(name), labels)
        for attr, value in link.id_items():
            name = _ID_NAMES[attr]
            yield node_sample(f"network_{name}", value, "gauge", _help(name), labels)


def _help(name: str) -> str:
    return f"Network device property: {name}"


# sysfs attribute -> node_exporter's family (netclass_linux.go, 1.5)
_ID_NAMES: Final = {
    "addr_assign_type": "address_assign_type",
    "dev_id": "device_id",
    "dormant": "dormant",
    "flags": "flags",
    "ifindex": "iface_id",
    "iflink": "iface_link",
    "link_mode": "iface_link_mode",
    "name_assign_type": "name_assign_type",
    "netdev_group": "net_dev_group",
    "type": "protocol_type",
    "tx_queue_len": "transmit_queue_length",
}


_HELP_INFO: Final = "Non-numeric data from /sys/class/net/<iface>, value is always 1."
_HELP_UP: Final = "Value is 1 if operstate is 'up', 0 otherwise."
_HELP_CARRIER: Final = "Network device property: carrier"
_HELP_MTU: Final = "Network device property: mtu_bytes"
_HELP_SPEED: Final = "Network device property: speed_bytes"

COLLECTOR: Final = Collector(
    "netclass",
    "Link state, carrier changes and identifiers per interface (/sys/class/net/*/)",
    (NET_CLASS, NET_LINK, NET_IDS),
    METRICS,
    gauges,
    rates,
    samples,
)
