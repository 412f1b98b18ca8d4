"""Parse /proc/vmstat: `name value` virtual memory counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "/proc/vmstat"


@dataclass(frozen=True, slots=True)
class Vmstat:
    """Parsed /proc/vmstat, keyed by the kernel's names (pgfault, pswpin, oom_kill…).

    Most are event counters, some are gauges (nr_free_pages); units vary (pages, events),
    so values stay as printed. oom_kill appeared in 4.13.
    """

    values: Mapping[str, int]


def parse(text: str) -> Vmstat:
    # fast path: ~200 "name value" lines every poll; when every line has two fields the
    # tokens pair up, and the line-by-line loop runs only to name a bad line
    tokens = text.split()
    lines = text.count("\n") + (not text.endswith("\n"))  # a blank line takes the slow path
    if len(tokens) == 2 * lines:
        try:
            return Vmstat(dict(zip(tokens[::2], map(int, tokens[1::2]), strict=True)))
        except ValueError:
            pass
    return Vmstat(_parse_lines(text))


def _parse_lines(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise ParseError(SOURCE, "expected 'name value'", line)
        try:
            values[fields[0]] = int(fields[1])
        except ValueError as exc:
            raise ParseError(SOURCE, "value is not an integer", line) from exc
    return values
