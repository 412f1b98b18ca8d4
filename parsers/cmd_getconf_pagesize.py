"""Parse `getconf PAGESIZE`: the target's memory page size in bytes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_int

SOURCE: Final = "getconf PAGESIZE"
# Linux pages are 4 KiB (x86), 16 KiB (some arm64, Apple), 64 KiB (ppc64, arm64 64K
# kernels); 256 KiB exists on hexagon. Anything outside is not a page size.
MIN_BYTES: Final = 1024
MAX_BYTES: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PageSize:
    """Parsed `getconf PAGESIZE` (sockstat counts memory in pages of this size)."""

    bytes: int


def parse(text: str) -> PageSize:
    line = text.strip()
    value = bounded_int(line, SOURCE, line)
    if not MIN_BYTES <= value <= MAX_BYTES or value & (value - 1):
        raise ParseError(SOURCE, "not a page size (a power of two, 1 KiB to 1 MiB)", line)
    return PageSize(value)
