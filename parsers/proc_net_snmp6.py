"""Parse /proc/net/snmp6: the IPv6 SNMP MIB counters, one `Name value` line each."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS, check_ints

SOURCE: Final = "/proc/net/snmp6"
# net/ipv6/proc.c prints `%-32s\t%lu\n` per counter: a name padded with spaces, a tab,
# an unsigned value. Checking that shape is one regex call over the ~90 lines (5 us
# where building the dict costs 16 us); the dict is built only when `protocols` is asked
# for (the exposition, not each poll). Text of any other shape, or a number longer than
# SAFE_DIGITS, takes the full parse, which raises or bounds it (parsers.numbers).
# Possessive quantifiers (no backtracking into a name or number): a quarter faster.
_KERNEL_SHAPE: Final = re.compile(rf"(?:[A-Za-z0-9]++ *+\t[0-9]{{1,{SAFE_DIGITS}}}+\n)*+")


@dataclass(frozen=True, slots=True)
class NetSnmp6:
    """Parsed /proc/net/snmp6 (text validated by `parse`).

    `protocols` splits each name after its first "6", as node_exporter does
    (collector/netstat_linux.go): Ip6InOctets -> Ip6 / InOctets, UdpLite6InErrors ->
    UdpLite6 / InErrors. Lines without a "6" in the name are left out, as there.
    """

    text: str

    @property
    def protocols(self) -> Mapping[str, Mapping[str, int]]:
        return parse_counters(self.text)


def parse(text: str) -> NetSnmp6:
    if _KERNEL_SHAPE.fullmatch(text) is None:
        parse_counters(text)  # raises, quoting the bad line, or bounds a long number
    return NetSnmp6(text)


def parse_counters(text: str) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for line in text.split("\n"):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise ParseError(SOURCE, "expected 'Name value'", line)
        name, token = fields
        try:
            value = int(token)
        except ValueError as exc:
            raise ParseError(SOURCE, "value is not an integer", line) from exc
        check_ints((value,), SOURCE, line)
        six = name.find("6")
        if six != -1:
            out.setdefault(name[: six + 1], {})[name[six + 1 :]] = value
    return out
