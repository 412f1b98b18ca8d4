"""Parse /proc/net/arp: the IPv4 neighbour table, counted per device."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "/proc/net/arp"
# net/ipv4/arp.c: "IP address  HW type  Flags  HW address  Mask  Device", one row per entry
COLUMNS: Final = 6
HEADER: Final = "IP address"


@dataclass(frozen=True, slots=True)
class Arp:
    """Parsed /proc/net/arp: entries per device, in the order the devices first appear
    (all states, incomplete ones too, as node_exporter counts them), and all entries
    (`entries` stays whole when the per-host device cap trims `devices`)."""

    devices: Mapping[str, int]
    entries: int


def parse(text: str) -> Arp:
    devices: dict[str, int] = {}
    entries = 0
    lines = text.split("\n")
    if lines[0] and not lines[0].startswith(HEADER):
        raise ParseError(SOURCE, "no header line", lines[0])
    for line in lines[1:]:
        fields = line.split()
        if not fields:
            continue
        if len(fields) != COLUMNS:
            raise ParseError(SOURCE, f"expected {COLUMNS} columns", line)
        device = fields[5]
        devices[device] = devices.get(device, 0) + 1
        entries += 1
    return Arp(devices, entries)
