"""Parse /proc/mounts: mounted filesystems with their types."""

from __future__ import annotations

from dataclasses import dataclass
from sys import intern
from typing import Final, NamedTuple

from parsers.errors import ParseError

SOURCE: Final = "/proc/mounts"
# Fields are interned: a poller keeps every host's latest mounts (~20 rows) between slow
# rounds, and across a fleet they are mostly the same strings (proc, sysfs, cgroup2, /,
# ext4, rw,relatime): one copy each instead of one per host (issue 15). Interned strings
# are freed with their last user, so a target cannot grow the table beyond what is kept.
# The kernel escapes space, tab, newline and backslash in mount fields as octal
# (fs/proc_namespace.c, mangle(): " \t\n\\"), as fstab(5) does.
_ESCAPES: Final = (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\"))


class Mount(NamedTuple):
    """One mount (an immutable row, like the other per-item rows of readings)."""

    device: str
    mountpoint: str
    fstype: str
    options: str


@dataclass(frozen=True, slots=True)
class Mounts:
    """Parsed /proc/mounts, in mount order (a later mount on the same point hides earlier)."""

    mounts: tuple[Mount, ...]

    def fstype_by_mountpoint(self) -> dict[str, str]:
        return {m.mountpoint: m.fstype for m in self.mounts}

    def readonly_by_mountpoint(self) -> dict[str, bool]:
        """Whether the mount visible at each point is read-only (`ro` in its options): a
        filesystem the kernel remounted read-only after an error shows here first."""
        return {m.mountpoint: "ro" in m.options.split(",") for m in self.mounts}


def parse(text: str) -> Mounts:
    mounts: list[Mount] = []
    for line in text.split("\n"):
        # fields are separated by single spaces and any space, tab or newline inside one is
        # escaped; str.split() would also cut at \x1c-\x1f, \x85 or \u2028 in a path
        fields = [f for f in line.split(" ") if f]
        if not fields:
            continue
        if len(fields) < 4:
            raise ParseError(SOURCE, "expected device mountpoint fstype options", line)
        device, mountpoint = _unescape(fields[0]), _unescape(fields[1])
        fstype, options = _unescape(fields[2]), fields[3]
        mounts.append(Mount(intern(device), intern(mountpoint), intern(fstype), intern(options)))
    return Mounts(tuple(mounts))


def _unescape(field: str) -> str:
    if "\\" not in field:
        return field
    for escaped, plain in _ESCAPES:
        field = field.replace(escaped, plain)
    return field
