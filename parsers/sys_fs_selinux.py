"""Parse the SELinux state files: /proc/self/mounts, /sys/fs/selinux/enforce (and
/selinux/enforce), /etc/selinux/config and /proc/self/attr/current.

node_exporter's selinux collector asks opencontainers/selinux (go-selinux, vendored in
1.5.0), which decides from these files and two statfs calls, no command:

- enabled: an selinuxfs is mounted read-write — /sys/fs/selinux if statfs says so, else
  the first selinuxfs line of /proc/self/mountinfo whose mount point statfs confirms
  (none where /proc/filesystems lacks selinuxfs) — and the reading process's label
  (/proc/thread-self/attr/current) is not `kernel` (no policy loaded yet).
- config mode (`DefaultEnforceMode`): the first `SELINUX=` line of /etc/selinux/config,
  after trimming the line and the value's quotes: `enforcing` 1, `permissive` 0, anything
  else or no file -1.
- current mode (`EnforceMode`): the integer in the mount's `enforce`, -1 if unreadable.

The same from what a `head` can read: the mount table says where selinuxfs is and
whether it is read-only (its options' first word: `ro` when the mount or the superblock
is, as statfs's ST_RDONLY); the topmost mount at a path is its last line. The probe reads
`enforce` at /sys/fs/selinux and at /selinux (RHEL 6's mount point); an selinuxfs mounted
anywhere else still counts as enabled, but its current mode is left out (unread, so
absent, where node_exporter would read it).

Where the files cannot tell — no mount table (no /proc) and no /sys/fs/selinux/enforce —
the rule is node_exporter's: it finds no selinuxfs (statfs of /sys/fs/selinux fails and
/proc/filesystems is unreadable) and says disabled, `node_selinux_enabled 0`. Disabled is
that library's answer to "no selinuxfs found", not a missing value, so 0 is exported as it
is on this Debian host (no selinuxfs in the mount table), never left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files
from parsers.numbers import bounded_int

SOURCE: Final = "selinux"
MOUNTS: Final = "/proc/self/mounts"
CONFIG: Final = "/etc/selinux/config"
LABEL: Final = "/proc/self/attr/current"
SELINUXFS: Final = "/sys/fs/selinux"
LEGACY: Final = "/selinux"  # where RHEL 6 / Fedora < 17 mounted selinuxfs
ENFORCE: Final = {f"{SELINUXFS}/enforce": SELINUXFS, f"{LEGACY}/enforce": LEGACY}
# go-selinux's Enforcing, Permissive, Disabled
MODES: Final = {"enforcing": 1, "permissive": 0}
DISABLED: Final = -1
_ATOI: Final = re.compile(r"[+-]?[0-9]{1,18}")  # what Go's strconv.Atoi takes
_OCTAL: Final = re.compile(r"\\([0-7]{3})")  # /proc/mounts escapes space, tab, \n, \\


@dataclass(frozen=True, slots=True)
class Selinux:
    """SELinux state as node_exporter derives it; modes only where enabled (None: unread)."""

    enabled: bool
    config_mode: int | None = None
    current_mode: int | None = None


def parse(text: str) -> Selinux:
    files = dict(tail_files(text))
    if unknown := set(files) - {MOUNTS, CONFIG, LABEL, *ENFORCE}:
        raise ParseError(SOURCE, "not an SELinux state file", sorted(unknown)[0])
    mount = _selinuxfs(files)
    label = files.get(LABEL)
    # go-selinux trims the NUL the kernel ends a context with; a failed read is "" (not
    # `kernel`), so it does not disable
    if mount is None or (label is not None and label.strip().rstrip("\0") == "kernel"):
        return Selinux(enabled=False)
    return Selinux(True, _config_mode(files.get(CONFIG)), _current_mode(files, mount))


def _selinuxfs(files: dict[str, str]) -> str | None:
    """The selinuxfs mount go-selinux would find, or None."""
    table = files.get(MOUNTS)
    if table is None:
        # no mount table: only statfs of /sys/fs/selinux could still succeed, and its
        # `enforce` being there says it is selinuxfs (read-only cannot be told)
        return SELINUXFS if f"{SELINUXFS}/enforce" in files else None
    top: dict[str, tuple[str, bool]] = {}  # mount point -> (type, read-only) of the top one
    order: list[str] = []  # selinuxfs mount points in the table's order
    for line in table.split("\n"):
        fields = line.split()
        if len(fields) < 4:
            if fields:
                raise ParseError(SOURCE, "expected 6 fields in the mount table", line[:200])
            continue
        point = _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), fields[1])
        top[point] = (fields[2], fields[3].split(",")[0] == "ro")
        if fields[2] == "selinuxfs":
            order.append(point)

    def usable(point: str) -> bool:  # go-selinux verifySELinuxfsMount
        return top.get(point) == ("selinuxfs", False)

    if usable(SELINUXFS):
        return SELINUXFS
    return next((p for p in order if usable(p)), None)


def _config_mode(config: str | None) -> int:
    """go-selinux readConfig("SELINUX") and DefaultEnforceMode: case and spacing matter."""
    for raw in (config or "").split("\n"):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        key, sep, value = line.partition("=")
        if sep and key == "SELINUX":
            return MODES.get(value.strip('"'), DISABLED)
    return DISABLED


def _current_mode(files: dict[str, str], mount: str) -> int | None:
    path = f"{mount}/enforce"
    if path not in ENFORCE:
        return None  # mounted where the probe does not read
    body = files.get(path, "").strip()  # the kernel prints no newline; the frame may add one
    if not _ATOI.fullmatch(body):
        return DISABLED  # go-selinux EnforceMode: unreadable or not an integer
    return bounded_int(body, SOURCE, f"{path}: {body}")
