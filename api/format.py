"""Numbers for people, used by the templates (web/static/js/format.js mirrors these)."""

from __future__ import annotations

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
    if value is None:
        return NONE
    return f"{value:.0f} %" if value >= 10 else f"{value:.1f} %"


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
