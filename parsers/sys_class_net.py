"""Parse /sys/class/net/*/ATTRIBUTE: link state, carrier counters and identifiers per interface.

The text is a glob section (`parsers.frame.tail_files`): one `==> path <==` chunk per file.
sysfs refuses some of these reads by design, and the probe's reader then prints the header
and nothing else: `carrier` of an interface that is administratively down, `speed` and
`duplex` of a down interface or of one without link settings (lo, bridges, tun), `dormant`
of one that is down, `name_assign_type` where the kernel does not know how the name came
(NET_NAME_UNKNOWN): EINVAL (net/core/net-sysfs.c). An empty body is therefore "not known"
(None, or left out of `ids`), never 0; node_exporter 1.5 (procfs 0.8 `parseNetClassIface`)
skips such a file the same way. `speed` is -1 when the driver does not know it
(SPEED_UNKNOWN, include/uapi/linux/ethtool.h), also None.

`dev_id` and `flags` are printed in hex (`%#x`, net-sysfs.c fmt_hex: `0x1003`), the rest in
decimal. procfs reads a value it cannot parse as 0; here it is a ParseError, since a fake 0
of `flags` would read as "interface down".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files
from parsers.numbers import bounded_int

SOURCE: Final = "/sys/class/net"
PREFIX: Final = "/sys/class/net/"
# what a link flap moves: counts since the interface was created (carrier_changes is the
# sum of the other two, Linux 4.16+; older kernels have carrier_changes alone)
COUNTERS: Final = ("carrier_changes", "carrier_up_count", "carrier_down_count")
# the interface's identifiers and settings, which change only when it is reconfigured
IDS: Final = (
    "addr_assign_type",
    "dev_id",
    "dormant",
    "flags",
    "ifindex",
    "iflink",
    "link_mode",
    "name_assign_type",
    "netdev_group",
    "type",
    "tx_queue_len",
)
ATTRIBUTES: Final = frozenset(("operstate", "carrier", "speed", "mtu", "duplex", *COUNTERS, *IDS))
_IDS: Final = frozenset(IDS)
_SLOWER: Final = ATTRIBUTES - {"operstate", "carrier"}  # what the every-poll read has not
HEX: Final = frozenset(("dev_id", "flags"))  # fmt_hex in net/core/net-sysfs.c
_HEX: Final = re.compile(r"0x[0-9a-f]{1,16}")  # 16 digits at most: below 2**64
# RFC 2863 operational states as the kernel numbers them (IF_OPER_*, include/uapi/linux/if.h)
# and names them in `operstate` (net/core/net-sysfs.c operstates[])
OPER_STATES: Final = (
    "unknown",
    "notpresent",
    "down",
    "lowerlayerdown",
    "testing",
    "dormant",
    "up",
)
# ethtool's DUPLEX_HALF and DUPLEX_FULL (include/uapi/linux/ethtool.h); sysfs prints
# "unknown" for DUPLEX_UNKNOWN, kept as text (node_network_info shows it) but not a number
DUPLEX: Final = {"half": 0, "full": 1}


@dataclass(frozen=True, slots=True)
class NetLink:
    """One interface's link attributes; None where the file was absent or unreadable."""

    operstate: str | None = None
    carrier: int | None = None
    speed_mbps: int | None = None
    mtu: int | None = None
    duplex: str | None = None
    carrier_changes_total: int | None = None
    carrier_up_total: int | None = None
    carrier_down_total: int | None = None
    # the IDS values in IDS order, None where unreadable; () in a reading without them
    # (every poll's). Values only, not (name, value) pairs: every host keeps its last
    # reading for up to five slow rounds, and pairs with their own name strings cost
    # 1.5 KB an interface against ~0.2 (bench/poller_bench.py: +7.7 KB a host at 4)
    ids: tuple[int | None, ...] = ()

    def id_items(self) -> tuple[tuple[str, int], ...]:
        """(IDS attribute, value) of the identifiers that were readable."""
        return tuple((a, v) for a, v in zip(IDS, self.ids, strict=False) if v is not None)


@dataclass(frozen=True, slots=True)
class NetClass:
    """Parsed /sys/class/net/*/ATTRIBUTE (any of ATTRIBUTES), by interface name in the
    order the files came (sorted by the target's shell)."""

    interfaces: Mapping[str, NetLink]


def parse(text: str) -> NetClass:
    raw: dict[str, dict[str, str]] = {}
    for path, body in tail_files(text):
        iface, attr = _split(path)
        values = raw.setdefault(iface, {})
        if value := body.strip():
            values[attr] = value
    return NetClass({iface: _link(iface, v) for iface, v in raw.items()})


def _split(path: str) -> tuple[str, str]:
    iface, slash, attr = path.removeprefix(PREFIX).partition("/")
    if not path.startswith(PREFIX) or not slash or attr not in ATTRIBUTES:
        raise ParseError(SOURCE, "not a /sys/class/net/IFACE/ATTRIBUTE file", path)
    return iface, attr


def _link(iface: str, v: dict[str, str]) -> NetLink:
    operstate, duplex = v.get("operstate"), v.get("duplex")
    if operstate is not None and operstate not in OPER_STATES:
        raise ParseError(SOURCE, "unknown operstate", f"{iface}/operstate: {operstate}")
    if duplex is not None and duplex not in (*DUPLEX, "unknown"):
        raise ParseError(SOURCE, "unknown duplex", f"{iface}/duplex: {duplex}")
    carrier = _int(iface, "carrier", v)
    if carrier is not None and carrier not in (0, 1):
        raise ParseError(SOURCE, "carrier is 0 or 1", f"{iface}/carrier: {carrier}")
    if _SLOWER.isdisjoint(v):
        return NetLink(operstate, carrier)  # the every-poll reading: nothing else to read
    speed = _int(iface, "speed", v)
    return NetLink(
        operstate,
        carrier,
        speed if speed is None or speed >= 0 else None,  # -1: SPEED_UNKNOWN
        _int(iface, "mtu", v),
        duplex,
        _int(iface, "carrier_changes", v),
        _int(iface, "carrier_up_count", v),
        _int(iface, "carrier_down_count", v),
        () if _IDS.isdisjoint(v) else tuple(_id(iface, a, v.get(a)) for a in IDS),
    )


def _id(iface: str, attr: str, text: str | None) -> int | None:
    if text is None:
        return None
    if attr not in HEX:
        return bounded_int(text, SOURCE, f"{iface}/{attr}: {text}")
    if _HEX.fullmatch(text) is None:
        raise ParseError(SOURCE, "expected hex such as 0x1003", f"{iface}/{attr}: {text}")
    return int(text, 16)


def _int(iface: str, attr: str, v: dict[str, str]) -> int | None:
    text = v.get(attr)
    return None if text is None else bounded_int(text, SOURCE, f"{iface}/{attr}: {text}")
