"""Parse /proc/net/snmp: per-protocol SNMP MIB counters (Ip, Icmp, Tcp, Udp, …)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "/proc/net/snmp"


@dataclass(frozen=True, slots=True)
class NetSnmp:
    """Parsed /proc/net/snmp: protocol -> field -> value (Tcp -> CurrEstab -> 3).

    Values can be negative: Tcp MaxConn is -1 (RFC 2012: dynamic limit).
    """

    protocols: Mapping[str, Mapping[str, int]]


def parse(text: str) -> NetSnmp:
    return NetSnmp(parse_pairs(text, SOURCE))


def parse_pairs(text: str, source: str) -> dict[str, dict[str, int]]:
    """Parse the `Proto: names…` / `Proto: values…` line pairs of snmp and netstat."""
    protocols: dict[str, dict[str, int]] = {}
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) % 2:
        raise ParseError(source, "header line without a value line", lines[-1])
    for names_line, values_line in zip(lines[::2], lines[1::2], strict=True):
        proto, _, names = names_line.partition(":")
        proto2, _, values = values_line.partition(":")
        keys, numbers = names.split(), values.split()
        if proto != proto2 or not proto or len(keys) != len(numbers):
            raise ParseError(
                source, f"header and values do not match for {proto[:40]!r}", values_line
            )
        try:
            protocols[proto.strip()] = dict(zip(keys, map(int, numbers), strict=True))
        except ValueError as exc:
            raise ParseError(source, "value is not an integer", values_line) from exc
    return protocols
