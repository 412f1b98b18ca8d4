"""Parse the output of `uname -snrm; uname -v`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "uname"


@dataclass(frozen=True, slots=True)
class Uname:
    """Parsed `uname -snrm; uname -v`; `version` is the build string (`#1 SMP …`)."""

    sysname: str
    nodename: str
    release: str
    machine: str
    version: str | None


def parse(text: str) -> Uname:
    lines = text.split("\n")
    # -snrm prints in the fixed order s n r m; none of them contains a space.
    # -v comes on its own line because the version string does contain spaces.
    fields = lines[0].split() if lines else []
    if len(fields) != 4:
        raise ParseError(
            SOURCE, "expected 'sysname nodename release machine'", lines[0] if lines else ""
        )
    version = lines[1].strip() if len(lines) > 1 and lines[1].strip() else None
    sysname, nodename, release, machine = fields
    return Uname(sysname, nodename, release, machine, version)
