"""Bounds on every number read from a target: a value that does not fit is a ParseError.

Python's int() takes a 400-digit number happily, and the trouble only starts later, far
from the parser: float() of it raises OverflowError (which once made /metrics answer 500
for the whole fleet and `sshmon replay` crash), float("1e999") is inf, which JSON refuses.
So a parser checks each number where it reads it, and a value out of bounds costs its
own section with a reason, never another host's scrape.

The bound is |x| < 2**64: the kernel prints nothing wider than u64 (counters) or s64, so
a text number at or beyond it is not a reading. Every number inside it converts to a
finite float, whatever unit factor (x 1024, x 512) a parser applies afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

from parsers.errors import ParseError

LIMIT: Final = 2**64
# Digits a regex fast path may accept without a per-value check: 10**19 - 1 < 2**64.
SAFE_DIGITS: Final = 19


def out_of_range(source: str, value: object, line: str) -> ParseError:
    shown = str(value)
    if len(shown) > 40:
        shown = f"{shown[:20]}...({len(shown)} digits)"
    return ParseError(source, f"number out of range (|x| must be below 2**64): {shown}", line)


def bounded_int(token: str, source: str, line: str, what: str = "not an integer") -> int:
    """int(token), or ParseError (`what` on bad text, out of range on a too large one)."""
    try:
        value = int(token)
    except ValueError as exc:
        raise ParseError(source, f"{what}: {token[:40]!r}", line) from exc
    if not -LIMIT < value < LIMIT:
        raise out_of_range(source, token, line)
    return value


def bounded_float(token: str, source: str, line: str, what: str = "not a number") -> float:
    """float(token) that is finite and within the bound, or ParseError."""
    try:
        value = float(token)
    except ValueError as exc:
        raise ParseError(source, f"{what}: {token[:40]!r}", line) from exc
    if not math.isfinite(value) or not -LIMIT < value < LIMIT:
        raise out_of_range(source, token, line)
    return value


def check_ints(values: Iterable[int], source: str, line: str) -> None:
    """Raise ParseError for the first value out of bounds (values already int()-parsed)."""
    for value in values:
        if not -LIMIT < value < LIMIT:
            raise out_of_range(source, value, line)
