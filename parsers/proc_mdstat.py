"""Parse /proc/mdstat: Linux software RAID (md) arrays, their disks and sync progress.

Read the way prometheus/procfs reads it (node_exporter's mdadm collector), so the values
match node_exporter's on the same text (tests hold the two side by side):
- disks required and active come from the `[n/m]` of the status line; raid0 and linear
  arrays have none and count every member as required and active; an inactive array has
  neither (0);
- failed and spare members are the `(F)` and `(S)` marks on the device line;
- a recovery, resync or check line sets the state and the blocks synced so far; a
  `resync=PENDING` or `=DELAYED` has synced 0 blocks; otherwise (also during a reshape)
  every block counts as synced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_int

SOURCE: Final = "/proc/mdstat"
STATES: Final = ("active", "inactive", "recovering", "resync", "check")
_STATUS: Final = re.compile(r"(\d+) blocks .*\[(\d+)/(\d+)\] \[([U_]+)\]")
_SYNC: Final = re.compile(r"\((\d+)/(\d+)\)")


@dataclass(frozen=True, slots=True)
class Array:
    """One md array. `state` is one of STATES; blocks are 1 KiB units as mdstat counts."""

    state: str
    level: str | None
    disks_required: int
    disks_active: int
    disks_failed: int
    disks_spare: int
    disks_down: int  # `_` in the [UU_] map: members missing from a degraded array
    blocks: int
    blocks_synced: int
    blocks_to_sync: int  # the denominator of a running sync, else `blocks`

    @property
    def sync_percent(self) -> float | None:
        """Progress of a running recovery/resync/check; None when none runs."""
        if self.state not in ("recovering", "resync", "check") or not self.blocks_to_sync:
            return None
        return self.blocks_synced / self.blocks_to_sync * 100.0

    @property
    def degraded(self) -> bool:
        return self.disks_down > 0 or self.disks_active < self.disks_required


@dataclass(frozen=True, slots=True)
class MdStat:
    """Parsed /proc/mdstat, arrays by name in the kernel's order."""

    arrays: dict[str, Array]


def parse(text: str) -> MdStat:
    lines = text.split("\n")
    arrays: dict[str, Array] = {}
    for i, line in enumerate(lines):
        fields = line.split()
        if len(fields) < 3 or not fields[0].startswith("md") or fields[1] != ":":
            continue
        if i + 1 >= len(lines) or not lines[i + 1].split():
            raise ParseError(SOURCE, "array without a status line", line)
        arrays[fields[0]] = _array(fields, line, lines[i + 1], lines[i + 2 : i + 4])
    return MdStat(arrays)


def _array(fields: list[str], line: str, status: str, after: list[str]) -> Array:
    state = fields[2]
    if state not in ("active", "inactive"):
        raise ParseError(SOURCE, "array state is active or inactive", line)
    level = next((f for f in fields[3:] if not f.startswith("(") and "[" not in f), None)
    blocks = bounded_int(status.split()[0], SOURCE, status, "blocks is not an integer")
    failed, spare = line.count("(F)"), line.count("(S)")
    if "raid0" in line or "linear" in line:
        required = active = line.count("[")
        down = 0
    elif state == "inactive":
        required = active = down = 0
    else:
        m = _STATUS.search(status)
        if m is None:
            raise ParseError(SOURCE, "expected 'N blocks … [n/m] [UU_]'", status)
        required = bounded_int(m.group(2), SOURCE, status)
        active = bounded_int(m.group(3), SOURCE, status)
        down = m.group(4).count("_")
    synced = to_sync = blocks
    sync = (
        after[1] if after and "bitmap" in after[0] and len(after) > 1 else after[0] if after else ""
    )
    for word, new_state in (("recovery", "recovering"), ("resync", "resync"), ("check", "check")):
        if word in sync:
            state = new_state
            break
    if state in ("recovering", "resync", "check"):
        if "PENDING" in sync or "DELAYED" in sync:
            synced = 0
        else:
            m = _SYNC.search(sync)
            if m is None:
                raise ParseError(SOURCE, "expected '(synced/total)'", sync)
            synced = bounded_int(m.group(1), SOURCE, sync)
            to_sync = bounded_int(m.group(2), SOURCE, sync)
    return Array(state, level, required, active, failed, spare, down, blocks, synced, to_sync)
