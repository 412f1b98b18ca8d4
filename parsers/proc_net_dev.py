"""Parse /proc/net/dev: per-interface receive and transmit counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from parsers.errors import ParseError
from parsers.numbers import check_ints

SOURCE: Final = "/proc/net/dev"


# A NamedTuple, not a frozen dataclass: one per interface per poll, and building a NamedTuple
# costs a fifth of a frozen dataclass (parse + derive must stay far below 0.5 ms a poll).
class NetDevCounters(NamedTuple):
    """Counters of one interface, in the kernel's column order (bytes are bytes)."""

    rx_bytes_total: int
    rx_packets_total: int
    rx_errors_total: int
    rx_dropped_total: int
    rx_fifo_total: int
    rx_frame_total: int
    rx_compressed_total: int
    rx_multicast_total: int
    tx_bytes_total: int
    tx_packets_total: int
    tx_errors_total: int
    tx_dropped_total: int
    tx_fifo_total: int
    tx_collisions_total: int
    tx_carrier_total: int
    tx_compressed_total: int


COLUMNS: Final = len(NetDevCounters._fields)


@dataclass(frozen=True, slots=True)
class NetDev:
    """Parsed /proc/net/dev; interfaces keyed by name as the kernel prints it."""

    interfaces: Mapping[str, NetDevCounters]


def parse(text: str) -> NetDev:
    interfaces: dict[str, NetDevCounters] = {}
    for line in text.split("\n"):
        # split on the LAST ':' because alias names contain one (eth0:1); old kernels
        # print no space between the colon and the first counter (eth0:123456 …)
        name, colon, rest = line.rpartition(":")
        if not colon and ("|" in line or not line.strip()):
            continue  # the two header lines have no ':' (a name may hold a '|')
        fields = rest.split()
        if not colon or len(fields) != COLUMNS:
            raise ParseError(SOURCE, f"expected 'name: {COLUMNS} counters'", line)
        try:
            counters = NetDevCounters._make(map(int, fields))
        except ValueError as exc:
            raise ParseError(SOURCE, "counter is not an integer", line) from exc
        check_ints(counters, SOURCE, line)
        interfaces[name.strip()] = counters
    return NetDev(interfaces)
