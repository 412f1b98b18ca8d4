"""Parse /proc/uptime: seconds since boot and summed idle seconds of all cpus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_float

SOURCE: Final = "/proc/uptime"


@dataclass(frozen=True, slots=True)
class Uptime:
    """Parsed /proc/uptime. idle is summed over cpus, so it can exceed uptime."""

    uptime_seconds: float
    idle_seconds: float | None = None


def parse(text: str) -> Uptime:
    line = text.strip()
    fields = line.split()
    if not fields or len(fields) > 2:
        raise ParseError(SOURCE, "expected 1 or 2 fields", line)
    values = [bounded_float(f, SOURCE, line) for f in fields]
    if not all(v >= 0 for v in values):
        raise ParseError(SOURCE, "expected non-negative finite seconds", line)
    return Uptime(*values)
