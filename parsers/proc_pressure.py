"""Parse /proc/pressure/{cpu,memory,io}: pressure stall information (PSI, Linux 4.20+)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, NamedTuple

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS, bounded_float, bounded_int

SOURCE: Final = "/proc/pressure"
# `total=` is in microseconds (Documentation/accounting/psi.rst)
US: Final = 1_000_000.0


class PsiLine(NamedTuple):
    """One `some` or `full` line: averages in percent, total stall time in seconds."""

    avg10: float
    avg60: float
    avg300: float
    total_seconds: float


# tuple.__new__ skips the NamedTuple's Python-level __new__ (six lines per poll)
_new_line: Final = tuple.__new__


@dataclass(frozen=True, slots=True)
class Pressure:
    """Parsed /proc/pressure/<resource>.

    `full` is None where the kernel prints no full line: /proc/pressure/cpu had only
    `some` before 5.13 (and its system-wide `full` is always 0 since).
    """

    some: PsiLine | None
    full: PsiLine | None


# What kernel/sched/psi.c prints ("%s avg10=%lu.%02lu avg60=… avg300=… total=%llu\n",
# `some` then `full`, which /proc/pressure/cpu lacked before 5.13). Text of exactly this
# shape is read by one match: averages of this form are finite and within the bound of
# parsers.numbers, a total of up to SAFE_DIGITS digits too. Anything else takes the line
# by line parse. Three files a poll: 4.2 -> 1.8 us each.
_AVGS: Final = r" avg10=([0-9]{1,9}\.[0-9]{1,9}) avg60=([0-9]{1,9}\.[0-9]{1,9})"
_LINE: Final = _AVGS + rf" avg300=([0-9]{{1,9}}\.[0-9]{{1,9}}) total=([0-9]{{1,{SAFE_DIGITS}}})\n"
_KERNEL_SHAPE: Final = re.compile(f"some{_LINE}(?:full{_LINE})?")


def parse(text: str) -> Pressure:
    kernel = _KERNEL_SHAPE.fullmatch(text)
    if kernel is not None:
        v = kernel.groups()
        some = _new_line(PsiLine, (float(v[0]), float(v[1]), float(v[2]), int(v[3]) / US))
        if v[4] is None:
            return Pressure(some, None)
        full = _new_line(PsiLine, (float(v[4]), float(v[5]), float(v[6]), int(v[7]) / US))
        return Pressure(some, full)
    lines: dict[str, PsiLine] = {}
    for line in text.split("\n"):
        kind, _, rest = line.partition(" ")
        if kind not in ("some", "full"):
            continue  # unknown line types are ignored, as procfs does
        lines[kind] = _line(rest, line)
    return Pressure(lines.get("some"), lines.get("full"))


def _line(rest: str, line: str) -> PsiLine:
    p = rest.split()
    if (
        len(p) == 4 and p[0][:6] == "avg10=" and p[1][:6] == "avg60="
        and p[2][:7] == "avg300=" and p[3][:6] == "total="
    ):  # fmt: skip
        # the kernel's own order (kernel/sched/psi.c): no dict of pairs to build
        return _numbers((p[0][6:], p[1][6:], p[2][7:]), p[3][6:], line)
    values: dict[str, str] = {}
    for pair in p:
        key, eq, value = pair.partition("=")
        if not eq:
            raise ParseError(SOURCE, "expected key=value", line)
        values[key] = value
    try:
        averages = (values["avg10"], values["avg60"], values["avg300"])
        total = values["total"]
    except KeyError as exc:
        raise ParseError(SOURCE, "malformed pressure line", line) from exc
    return _numbers(averages, total, line)


def _numbers(averages: tuple[str, str, str], total: str, line: str) -> PsiLine:
    bad = "malformed pressure line"
    avg10, avg60, avg300 = (bounded_float(a, SOURCE, line, bad) for a in averages)
    stalled = bounded_int(total, SOURCE, line, bad)
    if stalled < 0:
        raise ParseError(SOURCE, "averages must be finite and total non-negative", line)
    return _new_line(PsiLine, (avg10, avg60, avg300, stalled / US))
