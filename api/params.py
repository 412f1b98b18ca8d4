"""Time ranges from query strings, checked before any query runs.

Accepted forms, the same for the API and the page URLs (so a shared link means the same
thing to both): seconds since the epoch (`1700000000`), ISO 8601 (`2026-11-22T10:00:00Z`),
or relative to now (`now`, `now-1h`, `now-30d`). `range=1h` is short for from=now-1h&to=now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from fastapi import HTTPException

UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_REL = re.compile(r"^now(?:-(\d{1,6})([smhdwy]))?$")
_SPAN = re.compile(r"^(\d{1,6})([smhdwy])$")
MAX_SPAN_S: Final = 2 * 366 * 86400  # longest rollup retention (1-hour tier, 2 years)
MIN_SPAN_S: Final = 10  # one poll
# the latest epoch second any API number may name (year 2096): far enough for any silence,
# near enough that every date function, SQLite and the pages' formatting can hold it
EPOCH_MAX_S: Final = 4e9
PRESETS: Final = ("15m", "1h", "6h", "24h", "7d", "30d", "1y")


class BadParam(HTTPException):
    """A 400 whose message says which parameter and what would be accepted."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


@dataclass(frozen=True)
class TimeRange:
    start: float
    end: float

    @property
    def span(self) -> float:
        return self.end - self.start


def span_seconds(text: str) -> int:
    match = _SPAN.match(text.strip())
    if not match:
        raise BadParam(f"range: {text!r} is not a span like 15m, 1h, 7d or 1y")
    return int(match.group(1)) * UNITS[match.group(2)]


def parse_time(name: str, text: str, now: float) -> float:
    text = text.strip()
    match = _REL.match(text)
    if match:
        amount, unit = match.groups()
        return now - (int(amount) * UNITS[unit] if amount else 0)
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if not 0 <= value < EPOCH_MAX_S:
            raise BadParam(f"{name}: {text!r} is outside the range of epoch seconds")
        return value
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParam(
            f"{name}: {text!r} is not epoch seconds, ISO 8601 or now-<n><s|m|h|d|w|y>"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a time without a zone means UTC, as the API says
    return parsed.timestamp()


def time_range(
    start: str | None, end: str | None, span: str | None, now: float, default: str = "1h"
) -> TimeRange:
    """Resolve from/to/range; 400 when from ≥ to, the span is too long, or a value is bad."""
    if span is not None and (start is not None or end is not None):
        raise BadParam("give either range or from/to, not both")
    end_s = parse_time("to", end, now) if end else now
    start_s = parse_time("from", start, now) if start else end_s - span_seconds(span or default)
    if start_s >= end_s:
        raise BadParam("from must be before to")
    if end_s - start_s > MAX_SPAN_S:
        raise BadParam(f"the range may be at most {MAX_SPAN_S // 86400} days")
    if end_s - start_s < MIN_SPAN_S:
        raise BadParam(f"the range must be at least {MIN_SPAN_S} s")
    return TimeRange(start_s, end_s)
