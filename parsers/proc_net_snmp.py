"""Parse /proc/net/snmp: per-protocol SNMP MIB counters (Ip, Icmp, Tcp, Udp, …)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Final, Self

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS, check_ints

SOURCE: Final = "/proc/net/snmp"
# The counters derivation reads every poll (poller/derive.py), kept parsed; the other
# ~90 stay text until `protocols` is asked for (node_exporter exposition, tests).
HOT_FIELDS: Final = {
    "Tcp": ("CurrEstab", "RetransSegs", "ActiveOpens", "PassiveOpens", "InErrs"),
    "Udp": ("RcvbufErrors",),
}
# What net/ipv4/proc.c prints: "Proto: Name Name…\nProto: value value…\n" pairs, one
# space before each value. The names line is the same on every poll of every host with
# that kernel, so its layout is computed once (`_layout`); a value line of single-spaced
# integers is then checked with a few str calls. That is ~6 us for netstat instead of
# ~35 us converting ~300 values; text of any other shape takes the full parse.
# Names lines longer than this are not cached (a hostile target must not fill memory).
_LAYOUT_CACHE_MAX_CHARS: Final = 16_384
# a value longer than SAFE_DIGITS takes the full parse, which bounds each (parsers.numbers)
_LONG_NUMBER: Final = re.compile(f"[0-9]{{{SAFE_DIGITS + 1}}}")
Hot = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class ProtocolCounters:
    """`Proto: names` / `Proto: values` text (/proc/net/snmp, /proc/net/netstat) with its
    hot fields parsed. Subclasses name their SOURCE and HOT_FIELDS; `text` was validated by
    `parse`, `hot` holds the HOT_FIELDS the text has."""

    SOURCE: ClassVar[str]
    HOT_FIELDS: ClassVar[Mapping[str, tuple[str, ...]]]
    text: str
    hot: Hot

    @property
    def protocols(self) -> Mapping[str, Mapping[str, int]]:
        """Every counter (built on each call, so not on the per-poll path)."""
        return parse_pairs(self.text, self.SOURCE)

    def for_rates(self) -> Self:
        """This reading as a previous poll's: `hot` only, the text dropped (see Vmstat).
        Built directly: dataclasses.replace walks the fields on every call, and this runs
        twice a poll (snmp, netstat); it was 3 % of the poller's samples at 5,000 hosts."""
        return type(self)("", self.hot)

    def get(self, protocol: str, field: str) -> int | None:
        fields = self.hot.get(protocol)
        if fields is not None and field in fields:
            return fields[field]  # derive's path: two dict lookups
        return lookup(self.text, self.hot, self.HOT_FIELDS, self.SOURCE, protocol, field)


@dataclass(frozen=True, slots=True)
class NetSnmp(ProtocolCounters):
    """Parsed /proc/net/snmp: protocol -> field -> value (Tcp -> CurrEstab -> 3).

    Values can be negative: Tcp MaxConn is -1 (RFC 2012: dynamic limit).
    """

    SOURCE: ClassVar[str] = SOURCE
    HOT_FIELDS: ClassVar[Mapping[str, tuple[str, ...]]] = HOT_FIELDS


def parse(text: str) -> NetSnmp:
    return NetSnmp(text, hot_fields(text, SOURCE, HOT_FIELDS))


def lookup(
    text: str, hot: Hot, wanted: Mapping[str, tuple[str, ...]], source: str, proto: str, field: str
) -> int | None:
    """One counter: from `hot` when it is a hot field, else from a full parse."""
    if field in wanted.get(proto, ()):
        return hot.get(proto, {}).get(field)
    return parse_pairs(text, source).get(proto, {}).get(field)


def hot_fields(text: str, source: str, wanted: Mapping[str, tuple[str, ...]]) -> Hot:
    """Validate snmp/netstat text as `parse_pairs` would; return only the wanted fields."""
    lines = text.split("\n")
    # both slices have len(lines) // 2 items
    pairs = [
        (a.partition(":"), b.partition(":"))
        for a, b in zip(lines[0:-1:2], lines[1::2], strict=True)
    ]
    if lines[-1] or not all(_kernel_pair(a, b) for a, b in pairs):
        full = parse_pairs(text, source)  # raises ParseError
        return {p: {f: full[p][f] for f in fs if f in full[p]} for p, fs in wanted.items()
                if p in full}  # fmt: skip
    hot: dict[str, dict[str, int]] = {}
    for (proto, _, names), (_, _, values) in pairs:
        if proto in wanted:  # a repeated protocol replaces the earlier, as in parse_pairs
            hot[proto] = _picked(names, values, wanted[proto])
    return hot


def _kernel_pair(names: tuple[str, str, str], values: tuple[str, str, str]) -> bool:
    """Whether a names/values line pair (each partitioned at ':') parses as in
    `parse_pairs`: same protocol, as many names as values, every value an int."""
    proto, colon, keys = names
    if not colon or proto != values[0] or not proto.isalnum():
        return False
    digits = values[2].replace(" -", " ")  # "-" only right after a space: signed ints
    if digits and (digits[0] != " " or digits[-1] == " " or "  " in digits):
        return False  # not one space before each value
    if digits and not digits.replace(" ", "").isdecimal():
        return False
    if _LONG_NUMBER.search(digits):
        return False
    return digits.count(" ") == _layout(keys)[0]


def _layout(keys: str) -> tuple[int, dict[str, int]]:
    if len(keys) > _LAYOUT_CACHE_MAX_CHARS:
        return _compute_layout(keys)
    return _cached_layout(keys)


def _compute_layout(keys: str) -> tuple[int, dict[str, int]]:
    """Number of names, and each name's position (the last of a repeated name)."""
    names = keys.split()
    return len(names), {name: i for i, name in enumerate(names)}


_cached_layout: Final = lru_cache(maxsize=256)(_compute_layout)


def _picked(keys: str, values: str, fields: tuple[str, ...]) -> dict[str, int]:
    """Fields of one kernel-shaped pair, by position, without splitting all ~120 TcpExt
    values for one of them."""
    out: dict[str, int] = {}
    positions = _layout(keys)[1]
    for field in fields:
        i = positions.get(field)
        if i is not None:  # values.split(" ")[0] is the "" before the first value
            out[field] = int(values.split(" ", i + 2)[i + 1])
    return out


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
            counts = list(map(int, numbers))
        except ValueError as exc:
            raise ParseError(source, "value is not an integer", values_line) from exc
        check_ints(counts, source, values_line)
        protocols[proto.strip()] = dict(zip(keys, counts, strict=True))
    return protocols
