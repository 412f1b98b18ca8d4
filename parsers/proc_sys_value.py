"""Parse a /proc/sys file that holds one integer (nf_conntrack_count, entropy_avail, …)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from parsers.errors import ParseError
from parsers.numbers import bounded_int


@dataclass(frozen=True, slots=True)
class SysValue:
    """Parsed one-integer /proc/sys file (the path is the section's source)."""

    value: int


def parse(text: str, source: str) -> SysValue:
    line = text.strip()
    if not line or len(line.split()) != 1:
        raise ParseError(source, "expected one integer", line)
    return SysValue(bounded_int(line, source, line))


def parser(source: str) -> Callable[[str], SysValue]:
    """The parser of one file, naming it in its errors."""
    return partial(parse, source=source)
