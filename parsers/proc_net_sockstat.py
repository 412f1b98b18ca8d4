"""Parse /proc/net/sockstat: sockets in use and per-protocol socket counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import check_ints

SOURCE: Final = "/proc/net/sockstat"


@dataclass(frozen=True, slots=True)
class Sockstat:
    """Parsed /proc/net/sockstat.

    `protocols` maps TCP/UDP/UDPLITE/RAW/FRAG to the keys its line printed (inuse,
    orphan, tw, alloc, mem, memory); a key the line did not print is absent, not 0.
    `mem` is in pages (of the target's page size, which the probe does not read).
    """

    sockets_used: int | None
    protocols: Mapping[str, Mapping[str, int]]


def parse(text: str) -> Sockstat:
    return Sockstat(*protocol_lines(text, SOURCE))


def protocol_lines(text: str, source: str) -> tuple[int | None, dict[str, dict[str, int]]]:
    """`sockets: used N` (None if absent) and `PROTO: key value…` lines of sockstat and
    sockstat6 text."""
    used: int | None = None
    protocols: dict[str, dict[str, int]] = {}
    for line in text.split("\n"):
        proto, colon, rest = line.partition(":")
        if not colon:
            if line.strip():
                raise ParseError(source, "no ':' in line", line)
            continue
        fields = rest.split()
        if not fields or len(fields) % 2:
            raise ParseError(source, "expected 'key value' pairs", line)
        try:
            pairs = {k: int(v) for k, v in zip(fields[::2], fields[1::2], strict=True)}
        except ValueError as exc:
            raise ParseError(source, "value is not an integer", line) from exc
        check_ints(pairs.values(), source, line)
        if proto == "sockets":
            used = pairs.get("used")
        else:
            protocols[proto.strip()] = pairs
    return used, protocols
