"""Parse /proc/net/snmp: per-protocol SNMP MIB counters (Ip, Icmp, Tcp, Udp, …)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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
# space before each value. The names lines are the same on every poll of every host with
# that kernel, so what they make of the text is worked out once per set of names lines
# (`_shape_of`): one regex that checks every value line (that many single-spaced integers
# of at most SAFE_DIGITS digits after its protocol) and captures the hot fields. A poll's
# value lines are then checked and picked in one C-level match (snmp 12 -> 4.5 us,
# netstat 15 -> 6.6 us); text of any other shape takes the full parse, which gives the
# same values or the ParseError. Names lines longer than this in all are not cached (a
# hostile target must not fill memory), nor more than _SHAPES_MAX sets of them.
_LAYOUT_CACHE_MAX_CHARS: Final = 16_384
_SHAPES_MAX: Final = 64
# possessive (`?+`, `{…}+`): nothing given back can make a value line match, and sre's
# backtracking state per value was half the match's time
_VALUE: Final = f" -?+[0-9]{{1,{SAFE_DIGITS}}}+"
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
    names = "\n".join(lines[0:-1:2])  # the names lines: the key of the text's shape
    shape = _shape_of(names, len(lines) // 2, wanted) if not lines[-1] else None
    # the value lines alone: names lines are the cache key, matching them again is waste
    if shape is not None and (match := shape.regex.fullmatch("\n".join(lines[1::2]))):
        return {proto: {f: int(match[g]) for f, g in picks} for proto, picks in shape.picks}
    full = parse_pairs(text, source)  # raises ParseError
    return {p: {f: full[p][f] for f in fs if f in full[p]} for p, fs in wanted.items()
            if p in full}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Shape:
    """What one set of names lines makes of a text: the regex of its value lines (joined
    by newlines), and for each wanted protocol present, (field, regex group) of its
    fields present."""

    regex: re.Pattern[str]
    picks: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]


Wanted = tuple[tuple[str, tuple[str, ...]], ...]
_shapes: dict[tuple[str, int, Wanted], _Shape | None] = {}


def _shape_of(names: str, pairs: int, wanted: Mapping[str, tuple[str, ...]]) -> _Shape | None:
    """The cached shape of `pairs` names lines (`names`, joined by newlines), None where
    they are not the kernel's (the text then takes the full parse)."""
    key = (names, pairs, tuple(wanted.items()))
    try:
        return _shapes[key]
    except KeyError:
        pass
    shape = _compute_shape(names.split("\n") if pairs else [], wanted)
    if len(names) <= _LAYOUT_CACHE_MAX_CHARS:
        if len(_shapes) >= _SHAPES_MAX:
            _shapes.clear()  # a target making up names lines: compute, do not hoard
        _shapes[key] = shape
    return shape


def _compute_shape(names: list[str], wanted: Mapping[str, tuple[str, ...]]) -> _Shape | None:
    parts: list[str] = []
    picks: dict[str, tuple[tuple[str, int], ...]] = {}
    group = 0
    for line in names:
        proto, colon, keys = line.partition(":")
        if not colon or not proto.isalnum():
            return None
        fields = keys.split()
        # each name's position, the last of a repeated name (as parse_pairs' dict)
        position = {name: i for i, name in enumerate(fields)}
        hot = {position[f]: f for f in wanted.get(proto, ()) if f in position}
        values: list[str] = []
        got: list[tuple[str, int]] = []
        run = 0
        for i in range(len(fields)):
            if i in hot:
                if run:
                    values.append(f"(?:{_VALUE}){{{run}}}+")
                    run = 0
                group += 1
                values.append(f"({_VALUE})")
                got.append((hot[i], group))
            else:
                run += 1
        if run:
            values.append(f"(?:{_VALUE}){{{run}}}+")
        parts.append(f"{re.escape(proto)}:{''.join(values)}")
        if proto in wanted:  # a repeated protocol replaces the earlier, as in parse_pairs
            picks[proto] = tuple(sorted(got, key=lambda fg: wanted[proto].index(fg[0])))
    return _Shape(re.compile("\n".join(parts)), tuple(picks.items()))


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
