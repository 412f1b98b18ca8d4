"""Parse /proc/pressure/{cpu,memory,io}: pressure stall information (PSI, Linux 4.20+)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, NamedTuple

from parsers.errors import ParseError

SOURCE: Final = "/proc/pressure"
# `total=` is in microseconds (Documentation/accounting/psi.rst)
US: Final = 1_000_000.0


class PsiLine(NamedTuple):
    """One `some` or `full` line: averages in percent, total stall time in seconds."""

    avg10: float
    avg60: float
    avg300: float
    total_seconds: float


@dataclass(frozen=True, slots=True)
class Pressure:
    """Parsed /proc/pressure/<resource>.

    `full` is None where the kernel prints no full line: /proc/pressure/cpu had only
    `some` before 5.13 (and its system-wide `full` is always 0 since).
    """

    some: PsiLine | None
    full: PsiLine | None


def parse(text: str) -> Pressure:
    lines: dict[str, PsiLine] = {}
    for line in text.split("\n"):
        kind, _, rest = line.partition(" ")
        if kind not in ("some", "full"):
            continue  # unknown line types are ignored, as procfs does
        lines[kind] = _line(rest, line)
    return Pressure(lines.get("some"), lines.get("full"))


def _line(rest: str, line: str) -> PsiLine:
    values: dict[str, str] = {}
    for pair in rest.split():
        key, eq, value = pair.partition("=")
        if not eq:
            raise ParseError(SOURCE, "expected key=value", line)
        values[key] = value
    try:
        averages = [float(values[k]) for k in ("avg10", "avg60", "avg300")]
        total = int(values["total"])
    except (KeyError, ValueError) as exc:
        raise ParseError(SOURCE, "malformed pressure line", line) from exc
    if not all(math.isfinite(v) for v in averages) or total < 0:
        raise ParseError(SOURCE, "averages must be finite and total non-negative", line)
    avg10, avg60, avg300 = averages
    return PsiLine(avg10, avg60, avg300, total / US)
