"""Parse /proc/loadavg: load averages and runnable/total scheduling entities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_float, bounded_int

SOURCE: Final = "/proc/loadavg"


@dataclass(frozen=True, slots=True)
class LoadAvg:
    """Parsed /proc/loadavg (`0.00 0.03 0.05 1/502 33634`)."""

    load1: float
    load5: float
    load15: float
    runnable: int | None = None
    entities: int | None = None


def parse(text: str) -> LoadAvg:
    line = text.strip()
    fields = line.split()
    if len(fields) < 3:
        raise ParseError(SOURCE, "expected at least 3 fields", line)
    load1, load5, load15 = (
        bounded_float(f, SOURCE, line, "malformed load line") for f in fields[:3]
    )
    runnable = entities = None
    if len(fields) > 3:
        # 4th field is runnable/total; total counts threads, not processes
        running, _, total = fields[3].partition("/")
        runnable = bounded_int(running, SOURCE, line, "malformed load line")
        entities = bounded_int(total, SOURCE, line, "malformed load line")
    return LoadAvg(load1, load5, load15, runnable, entities)
