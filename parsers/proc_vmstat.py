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
    values: dict[str, int] = {}
    for line in text.split("\n"):
        # ~200 "name value" lines every poll: partition is the cheapest exact split
        name, _, value = line.strip().partition(" ")
        if not name:
            continue
        try:
            values[name] = int(value)  # int() rejects "", "1 2" and words
        except ValueError as exc:
            raise ParseError(SOURCE, "expected 'name value'", line) from exc
    return Vmstat(values)
