"""Parse /proc/net/udp and /proc/net/udp6: bytes queued on UDP sockets, summed.

The probe reads both files with one `grep -H -v ' 00000000:00000000 ' FILE FILE`, which
prefixes each line with its file's path and leaves out every socket with both queues
empty (see poller/collectors/udp_queues.py for why): the sums are the same, since a
left-out line adds 0 to each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import check_ints

SOURCE: Final = "/proc/net/udp"
SOURCE6: Final = "/proc/net/udp6"
HEADER: Final = "sl"
# net/ipv4/udp.c udp4_format_sock: "sl local rem st tx_queue:rx_queue tr:tm_when retrnsmt
# uid timeout inode ref pointer drops"; the queue column is the 5th, two %08X words
QUEUE_COLUMN: Final = 4
MIN_COLUMNS: Final = 10  # through inode, what prometheus/procfs requires too
HEX: Final = 16


@dataclass(frozen=True, slots=True)
class UdpQueues:
    """Parsed /proc/net/udp{,6}: bytes waiting in the send (tx) and receive (rx) queues
    of all UDP sockets (memory charged to the socket, so with skb overhead)."""

    tx_bytes: int
    rx_bytes: int


def parse(text: str, source: str = SOURCE) -> UdpQueues:
    tx = rx = 0
    lines = text.split("\n")
    first = lines[0].split(None, 1)
    if first and first[0] != HEADER:
        raise ParseError(source, "no header line", lines[0])
    for line in lines[1:]:
        fields = line.split(None, MIN_COLUMNS)
        if not fields:
            continue
        if len(fields) < MIN_COLUMNS:
            raise ParseError(source, f"expected at least {MIN_COLUMNS} columns", line)
        tx_hex, colon, rx_hex = fields[QUEUE_COLUMN].partition(":")
        try:
            if not colon:
                raise ValueError("no ':'")
            queued = int(tx_hex, HEX), int(rx_hex, HEX)
        except ValueError as exc:
            raise ParseError(source, "malformed tx_queue:rx_queue", line) from exc
        check_ints(queued, source, line)
        tx += queued[0]
        rx += queued[1]
    return UdpQueues(tx, rx)


def parse6(text: str) -> UdpQueues:
    return parse(text, SOURCE6)


@dataclass(frozen=True, slots=True)
class UdpFiles:
    """The grep of /proc/net/udp and /proc/net/udp6: each file's sums, None for a file
    the target does not have (no IPv6: unavailable, not 0)."""

    v4: UdpQueues | None
    v6: UdpQueues | None


_PARSERS: Final[Mapping[str, str]] = {SOURCE: "v4", SOURCE6: "v6"}


def parse_grep(text: str) -> UdpFiles:
    """`grep -H` output: every line is `PATH:LINE`; a file grep could not read has none."""
    lines: dict[str, list[str]] = {}
    for line in text.split("\n"):
        if not line:
            continue
        path, colon, rest = line.partition(":")
        if not colon or path not in _PARSERS:
            raise ParseError(SOURCE, "line without a /proc/net/udp{,6}: prefix", line)
        lines.setdefault(path, []).append(rest)
    found = {_PARSERS[path]: parse("\n".join(rows), path) for path, rows in lines.items()}
    return UdpFiles(found.get("v4"), found.get("v6"))
