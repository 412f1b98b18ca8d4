"""Parse a /proc/sys file that holds one integer (nf_conntrack_count, entropy_avail, …)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS, bounded_int


@dataclass(frozen=True, slots=True)
class SysValue:
    """Parsed one-integer /proc/sys file (the path is the section's source)."""

    value: int


def parse(text: str, source: str) -> SysValue:
    digits = text[:-1]
    if text[-1:] == "\n" and digits.isdigit() and len(digits) <= SAFE_DIGITS:
        return SysValue(int(digits))  # the kernel's "%d\n": a third of the general path
    line = text.strip()
    if not line or len(line.split()) != 1:
        raise ParseError(source, "expected one integer", line)
    return SysValue(bounded_int(line, source, line))


def parser(source: str) -> Callable[[str], SysValue]:
    """The parser of one file, naming it in its errors."""

    def parse_file(text: str) -> SysValue:
        return parse(text, source)

    return parse_file
