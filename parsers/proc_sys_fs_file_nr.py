"""Parse /proc/sys/fs/file-nr: allocated file handles and the system-wide maximum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_int

SOURCE: Final = "/proc/sys/fs/file-nr"


@dataclass(frozen=True, slots=True)
class FileNr:
    """Parsed /proc/sys/fs/file-nr (`allocated unused maximum`).

    `unused` has been always 0 since Linux 2.6 (freed handles are returned at once),
    so `allocated` is the number in use, as node_filefd_allocated reports it.
    """

    allocated: int
    unused: int
    maximum: int


def parse(text: str) -> FileNr:
    line = text.strip()
    fields = line.split()
    if len(fields) != 3:
        raise ParseError(SOURCE, "expected 3 fields", line)
    return FileNr(*(bounded_int(f, SOURCE, line) for f in fields))
