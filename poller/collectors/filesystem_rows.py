"""Filesystem gauges: which df rows are stored, and their space and inode figures.

Part of the filesystem collector (poller/collectors/filesystem.py); split out because
choosing the "real" filesystems (node_exporter's exclusions, pseudo types, one row per
device) is its own concern. Appends (metric, mount point, value) triples to the caller's list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from parsers.cmd_df import Df, DfRow
from parsers.exposition_filters import FSTYPES_EXCLUDED, MOUNTPOINTS_EXCLUDED
from parsers.proc_mounts import Mounts
from poller.collectors.base import Triple

# Stored filesystems are the "real" ones: node_exporter's default exclusions plus
# memory-backed and pseudo types, whose size is RAM or nothing and which come and go
# by the dozen (/run/user/*, container runtimes).
# fmt: off
PSEUDO_FSTYPES: Final = frozenset({
    "tmpfs", "ramfs", "rootfs", "efivarfs", "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal",
    "fuse.snapfuse",
})
# fmt: on


def filesystems(
    space: Df | None, inodes: Df | None, mounts: Mounts | None, out: list[Triple]
) -> None:
    fstypes = mounts.fstype_by_mountpoint() if mounts is not None else {}
    readonly = mounts.readonly_by_mountpoint() if mounts is not None else {}
    by_mount = {row.mountpoint: row for row in inodes.rows} if inodes is not None else {}
    rows = space.rows if space is not None else inodes.rows if inodes is not None else ()
    add = out.append
    for row in real_filesystems(rows, fstypes):
        mp = row.mountpoint
        if space is not None:
            _space(row, out)
        if (ro := readonly.get(mp)) is not None:
            add(("fs_readonly", mp, 1 if ro else 0))
        inode_row = by_mount.get(mp)
        if inode_row is not None and inode_row.total:  # 0 inodes: btrfs, vfat report none
            total, free = inode_row.total, inode_row.available
            add(("fs_inodes_total", mp, total))
            if free is not None and 0 <= free <= total:
                add(("fs_inodes_free", mp, free))
                add(("fs_inodes_used_percent", mp, (total - free) * 100.0 / total))


def _space(row: DfRow, out: list[Triple]) -> None:
    mp, size, used, avail = row.mountpoint, row.total, row.used, row.available
    if size is not None:
        out.append(("fs_size_bytes", mp, size))
    if avail is not None:
        out.append(("fs_avail_bytes", mp, avail))
    if used is not None:
        out.append(("fs_used_bytes", mp, used))
    if used is not None and avail is not None and used + avail > 0:
        out.append(("fs_used_percent", mp, used * 100.0 / (used + avail)))


def real_filesystems(rows: tuple[DfRow, ...], fstypes: Mapping[str, str]) -> list[DfRow]:
    """Rows of real filesystems, one per device: a device mounted at several places
    (bind mounts, btrfs subvolumes) is kept at its shortest mount point."""
    best: dict[str, DfRow] = {}
    for row in rows:
        fstype = fstypes.get(row.mountpoint)
        if MOUNTPOINTS_EXCLUDED.match(row.mountpoint):
            continue
        if fstype is None:
            # no mounts section: keep block devices and network shares only
            if not (row.device.startswith("/") or ":" in row.device):
                continue
        elif FSTYPES_EXCLUDED.match(fstype) or fstype in PSEUDO_FSTYPES:
            continue
        kept = best.get(row.device)
        if kept is None or len(row.mountpoint) < len(kept.mountpoint):
            best[row.device] = row
    return list(best.values())
