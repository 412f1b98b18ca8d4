"""Parse /proc/uptime: seconds since boot and summed idle seconds of all cpus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

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
    try:
        values = [float(f) for f in fields]
    except ValueError as exc:
        raise ParseError(SOURCE, "not a number", line) from exc
    if values[0] != values[0] or values[0] < 0:  # NaN or negative: not an uptime
        raise ParseError(SOURCE, "uptime must be a non-negative number", line)
    return Uptime(*values)
