"""Parse /proc/vmstat: `name value` virtual memory counters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.numbers import SAFE_DIGITS, bounded_int

SOURCE: Final = "/proc/vmstat"
# The counters derivation reads every poll (poller/derive.py), kept parsed; the other
# ~180 stay text until `values` is asked for (node_exporter exposition, tests). Parsing
# all of them cost 40 us a poll, a tenth of the poller's CPU budget.
HOT_KEYS: Final = ("pswpin", "pswpout", "pgmajfault", "oom_kill")
# What the kernel prints (mm/vmstat.c: "%s %lu\n"): when the whole text has this shape,
# one regex pass (9 us for 190 lines) proves every line valid, and `values` then gives
# exactly what the line-by-line parse would. Anything else takes that parse.
# numbers longer than SAFE_DIGITS take the slow parse, which bounds each (parsers.numbers).
# Possessive quantifiers (`++`, `{…}+`, `*+`): giving back characters cannot make such text
# match, and without sre's backtracking state per line the pass is a quarter cheaper.
_KERNEL_SHAPE: Final = re.compile(rf"(?:[a-z0-9_]++ [0-9]{{1,{SAFE_DIGITS}}}+\n)*+")


@dataclass(frozen=True, slots=True)
class Vmstat:
    """Parsed /proc/vmstat, keyed by the kernel's names (pgfault, pswpin, oom_kill…).

    Most are event counters, some are gauges (nr_free_pages); units vary (pages, events),
    so values stay as printed. oom_kill appeared in 4.13. `text` was validated by
    `parse`; `hot` holds the HOT_KEYS the text has.
    """

    text: str
    hot: Mapping[str, int]

    @property
    def values(self) -> Mapping[str, int]:
        """Every counter (built on each call: ~40 us, so not on the per-poll path)."""
        return _values(self.text)

    def for_rates(self) -> Vmstat:
        """This reading as a previous poll's: `hot` only, the ~4 KB of text dropped (rates
        read HOT_KEYS; a host keeps its previous readings for a whole interval)."""
        return Vmstat("", self.hot)

    def get(self, key: str) -> int | None:
        if key in self.hot:
            return self.hot[key]
        return self.values.get(key) if key not in HOT_KEYS else None


def parse(text: str) -> Vmstat:
    if _KERNEL_SHAPE.fullmatch(text):
        return Vmstat(text, _hot(text))
    values = _values(text)  # raises ParseError on a bad line
    return Vmstat(text, {key: values[key] for key in HOT_KEYS if key in values})


def _hot(text: str) -> dict[str, int]:
    """HOT_KEYS of kernel-shaped text; the last line wins, as in `_values`."""
    hot: dict[str, int] = {}
    for key in HOT_KEYS:
        at = text.rfind(f"\n{key} ") + 1
        if not at and not text.startswith(f"{key} "):
            continue
        start = at + len(key) + 1
        hot[key] = int(text[start : text.index("\n", start)])
    return hot


def _values(text: str) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in text.split("\n"):
        # "name value" lines: partition is the cheapest exact split
        name, _, value = line.strip().partition(" ")
        if not name:
            continue
        # int() rejects "", "1 2" and words
        values[name] = bounded_int(value, SOURCE, line, "expected 'name value'")
    return values
