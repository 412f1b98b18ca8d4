"""Parse `ps` output for the host page's "top processes" panel.

The command is fixed (never built from input) and tries the richest form first:

* procps-ng (Debian, RHEL, Alpine with procps): `ps -eo pid,user,pcpu,rss,comm` gives CPU %
  and resident memory for every process.
* busybox with `-o` support: no `pcpu` column and no `-e`/`--sort`, so it falls back to
  `ps -o pid,user,rss,comm`; the panel shows memory only and says CPU is unavailable.
* the most minimal busybox builds (no FEATURE_PS_LONG) take no options at all: plain `ps`
  prints `PID USER TIME COMMAND` (or `PID USER VSZ STAT COMMAND` on older builds), so we keep
  what we can read (pid, user, command) and leave CPU and RSS as None, never 0.

We do not ask `ps` to sort (`--sort` is procps-only) and sort here instead, which also lets one
listing answer both "top by CPU" and "top by memory". Columns are found by their header, so
the order the command prints them in does not matter. COMMAND is always the last column and
may hold spaces (`comm` of Firefox threads is "Web Content").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "ps"

# stderr silenced so an unsupported option just moves us to the next, simpler form.
COMMAND: Final = (
    "ps -eo pid,user,pcpu,rss,comm 2>/dev/null || ps -o pid,user,rss,comm 2>/dev/null || ps"
)

KIB: Final = 1024  # procps and busybox both print RSS/VSZ in KiB
# busybox abbreviates large sizes with a suffix (smart_ulltoa5: "12.3m" = 12.3 MiB of KiB units)
_SUFFIX: Final = {"": 1, "k": 1, "m": 1024, "g": 1024**2, "t": 1024**3}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([kmgtKMGT]?)$")

# header names as procps and busybox spell them -> our field
_HEADERS: Final = {
    "PID": "pid",
    "USER": "user",
    "UID": "user",
    "%CPU": "cpu",
    "RSS": "rss",
    "COMMAND": "command",
    "COMM": "command",
    "CMD": "command",
}


@dataclass(frozen=True, slots=True)
class Process:
    """One line of `ps`; None where this host's `ps` has no such column."""

    pid: int
    user: str
    command: str
    cpu_percent: float | None = None
    rss_bytes: float | None = None


@dataclass(frozen=True, slots=True)
class ProcessList:
    """Parsed `ps` output. `truncated`: the transport's size cap cut the last line off."""

    processes: tuple[Process, ...]
    has_cpu: bool
    has_rss: bool
    truncated: bool = False

    def top_by_cpu(self, n: int = 15) -> list[Process]:
        if not self.has_cpu:
            return []
        return sorted(self.processes, key=lambda p: -(p.cpu_percent or 0.0))[:n]

    def top_by_memory(self, n: int = 15) -> list[Process]:
        if not self.has_rss:
            return []
        return sorted(self.processes, key=lambda p: -(p.rss_bytes or 0.0))[:n]


def parse(text: str) -> ProcessList:
    lines = text.split("\n")
    # output cut by a size cap ends mid-line: that line is dropped, not guessed at
    truncated = not text.endswith("\n") and len(lines) > 1
    if truncated:
        lines = lines[:-1]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise ParseError(SOURCE, "empty output")
    columns = _columns(lines[0])
    processes = tuple(_process(line, columns) for line in lines[1:])
    return ProcessList(
        processes=processes,
        has_cpu="cpu" in columns,
        has_rss="rss" in columns,
        truncated=truncated,
    )


def _columns(header: str) -> list[str]:
    names = header.split()
    if not names or names[-1] not in ("COMMAND", "COMM", "CMD"):
        raise ParseError(SOURCE, "header must end with the command column", header)
    # columns we do not use (TIME, VSZ, STAT) keep a placeholder so positions line up
    columns = [_HEADERS.get(name, "") for name in names]
    if "pid" not in columns:
        raise ParseError(SOURCE, "header has no PID column", header)
    return columns


def _process(line: str, columns: list[str]) -> Process:
    # split only as often as there are columns before COMMAND: the command keeps its spaces
    fields = line.split(None, len(columns) - 1)
    if len(fields) < len(columns):
        raise ParseError(SOURCE, f"expected {len(columns)} columns", line)
    row = dict(zip(columns, fields, strict=True))
    try:
        return Process(
            pid=int(row["pid"]),
            user=row.get("user", ""),
            command=row["command"].strip(),
            cpu_percent=float(row["cpu"]) if "cpu" in row else None,
            rss_bytes=_size(row["rss"]) if "rss" in row else None,
        )
    except ValueError as exc:
        raise ParseError(SOURCE, "malformed number", line) from exc


def _size(text: str) -> float:
    match = _SIZE.match(text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _SUFFIX[match.group(2).lower()] * KIB
