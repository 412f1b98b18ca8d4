"""Parse `systemctl list-units --state=failed --no-legend --plain --no-pager`.

One line per failed unit: `UNIT LOAD ACTIVE SUB DESCRIPTION…`. No output is a real
answer (no unit failed); a host without systemd never gets here (the probe prints nothing
and fails: unavailable). Unit names are the target's text: the count is every line, but
only the first MAX_NAMES names are kept, each cut to MAX_NAME_CHARS with control
characters escaped, so a host cannot flood the store or the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "systemctl list-units --state=failed"
MAX_NAMES: Final = 20
# systemd's own limit on a unit name is 255 (UNIT_NAME_MAX in src/basic/unit-name.h)
MAX_NAME_CHARS: Final = 255
# C0 and C1 controls and DEL, shown as \xNN (a terminal escape in a unit name stays text)
_ESCAPES: Final = str.maketrans({c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))})
# systemd < 248 prints the "●" marker of a failed unit even with --plain on some terminals
_BULLETS: Final = frozenset({"●", "*"})


@dataclass(frozen=True, slots=True)
class FailedUnits:
    """Failed systemd units: how many, and the first names (escaped, capped)."""

    count: int
    names: tuple[str, ...]


def parse(text: str) -> FailedUnits:
    names: list[str] = []
    count = 0
    for line in text.split("\n"):
        fields = line.split()
        if fields and fields[0] in _BULLETS:
            fields = fields[1:]
        if not fields:
            continue
        if len(fields) < 4:
            raise ParseError(SOURCE, "expected 'UNIT LOAD ACTIVE SUB DESCRIPTION'", line)
        count += 1
        if len(names) < MAX_NAMES:
            names.append(fields[0][:MAX_NAME_CHARS].translate(_ESCAPES))
    return FailedUnits(count, tuple(names))
