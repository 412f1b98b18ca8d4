"""Numbers for people, used by the templates (web/static/js/format.js mirrors these)."""

from __future__ import annotations

import math
import time
from typing import Final

NONE: Final = "\u2013"  # en dash for "no reading", as the JS side prints
_BINARY: Final = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def size(value: float | None, suffix: str = "") -> str:
    """1536 → '1.5 KiB'; binary prefixes because memory and disks are sized in them."""
    if value is None:
        return NONE
    n = float(value)
    for unit in _BINARY:
        if abs(n) < 1024 or unit == _BINARY[-1]:
            digits = 0 if unit == "B" or abs(n) >= 100 else 1
            return f"{n:.{digits}f} {unit}{suffix}"
        n /= 1024
    raise AssertionError("unreachable")


def rate(value: float | None) -> str:
    return size(value, "/s")


def percent(value: float | None) -> str:
    """42.4 -> '42 %', 3.14 -> '3.1 %', 0.046 -> '0.046 %', 0 -> '0 %'. Under 0.1 % by
    significant digits: one decimal printed a real 0.04 % (steal, iowait) as '0.0 %', which
    reads as none at all."""
    if value is None:
        return NONE
    if value == 0:
        return "0 %"
    if abs(value) >= 10:
        return f"{value:.0f} %"
    if abs(value) >= 0.1:
        return f"{value:.1f} %"
    return f"{significant(value, 2)} %"


def number(value: float | None, digits: int = 2) -> str:
    return NONE if value is None else f"{value:.{digits}f}"


def duration(seconds: float | None) -> str:
    """Uptime-style: '3 d 4 h', '5 h 12 m', '42 s'."""
    if seconds is None:
        return NONE
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} m"
    if minutes:
        return f"{minutes} m {s} s"
    return f"{s} s"


def significant(value: float | None, digits: int = 3) -> str:
    """`digits` significant digits in plain decimal: 0.00046 -> '0.00046', 12.345 -> '12.3',
    1234567 -> '1234567'. A value that is not 0 never prints as 0 (2 decimals printed a
    3.6 ms await and a 0.001/s error rate as 0)."""
    if value is None:
        return NONE
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def seconds(value: float | None) -> str:
    """A duration that may be short: '460 µs', '3.6 ms', '12.3 s', '5 m 3 s', '12 d 4 h'."""
    if value is None:
        return NONE
    if value == 0:
        return "0 s"
    size = abs(value)
    if size < 1e-3:
        return f"{significant(value * 1e6)} µs"
    if size < 1:
        return f"{significant(value * 1e3)} ms"
    if size < 60:
        return f"{significant(value)} s"
    return duration(value)


def ago(ts: float | None, now: float | None = None) -> str:
    if ts is None:
        return "never"
    return duration(max(0.0, (now if now is not None else time.time()) - ts)) + " ago"


def utc(ts: float | None) -> str:
    if ts is None:
        return NONE
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))
    except (OverflowError, OSError, ValueError):
        # a time no calendar holds (a silence stored before the API bounded ends_at):
        # show the number rather than fail the whole page for everyone
        return f"{ts:.6g} (epoch seconds, out of range)"


def short(value: float) -> str:
    """A sort key for data attributes: enough digits to order by, not every bit."""
    return f"{value:.6g}"


def fmt_cell(value: float | None, how: str) -> str:
    return CELL_FORMATS[how](value)


CELL_FORMATS: Final = {"percent": percent, "number": number, "rate": rate, "duration": duration}

FILTERS: Final = {
    "short": short,
    "fmt_cell": fmt_cell,
    "size": size,
    "rate": rate,
    "percent": percent,
    "number": number,
    "duration": duration,
    "ago": ago,
    "utc": utc,
}
