"""filesystem: space and inodes per real filesystem (df -kP, df -iP, /proc/mounts; slow round).

Which rows are stored (node_exporter's exclusions, pseudo types, one row per device) is
filesystem_rows.py. df can hang on a dead NFS mount, so both df run under `timeout`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import cmd_df, proc_mounts
from parsers.cmd_df import Df
from parsers.exposition import Sample, node_sample
from parsers.exposition_filters import FSTYPES_EXCLUDED, MOUNTPOINTS_EXCLUDED
from parsers.proc_mounts import Mounts
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.collectors.filesystem_rows import filesystems
from poller.metric_spec import EXACT, PCT, G, MetricSpec, P

MOUNTS: Final = Source("mounts", proc_mounts.parse, path="/proc/mounts", slow=True)
# `$_sm_t` is the probe's `timeout N` prefix (empty where the target has no `timeout`);
# `_sm_ret N` is a probe function that returns N (a status without a `( exit N )` fork).
# Blocks and inodes come from one GNU df (`--output`, kept in `_sm_d`, printed once in
# each section: no process) where it takes the option; where it prints nothing (busybox
# refuses the option) the two POSIX calls of before run instead. A df that
# timed out hangs on a mount (stale NFS): neither the fallback nor the inode df is
# tried, and both sections report its status, so one command budget holds them all.
DF: Final = Source(
    "df",
    cmd_df.parse_space,
    command=(
        f"_sm_d=$($_sm_t df -k --output={cmd_df.OUTPUT_COLUMNS}); _sm_dr=$?; "
        'case "$_sm_dr" in 124|143) _sm_ret "$_sm_dr" ;; '
        '*) if [ -n "$_sm_d" ]; then printf \'%s\\n\' "$_sm_d"; _sm_ret "$_sm_dr"; '
        "else $_sm_t df -kP; fi ;; esac"
    ),
    slow=True,
)
DF_INODES: Final = Source(
    "df_inodes",
    cmd_df.parse_inodes,
    command=(
        'case "$_sm_rc" in 124|143) _sm_ret "$_sm_rc" ;; '
        '*) if [ -n "$_sm_d" ]; then printf \'%s\\n\' "$_sm_d"; _sm_ret "$_sm_dr"; '
        "else $_sm_t df -iP; fi ;; esac"
    ),
    slow=True,
)

_MP: Final = "mountpoint"
# real filesystems only, bind mounts of one device counted once
METRICS: Final = (
    MetricSpec("fs_size_bytes", "bytes", G, _MP, "Filesystem size (df)", EXACT, slow=True),
    MetricSpec(
        "fs_avail_bytes",
        "bytes",
        G,
        _MP,
        "Space available to unprivileged users (df Available)",
        EXACT,
        slow=True,
    ),
    MetricSpec("fs_used_bytes", "bytes", G, _MP, "Space in use (df Used)", EXACT, slow=True),
    MetricSpec(
        "fs_used_percent",
        P,
        P,
        _MP,
        "used / (used + available), as df's Capacity (reserved blocks excluded)",
        PCT,
        slow=True,
    ),
    MetricSpec("fs_inodes_total", "count", G, _MP, "Inodes (df -i)", EXACT, slow=True),
    MetricSpec(
        "fs_readonly",
        "count",
        G,
        _MP,
        "1 when mounted read-only (/proc/mounts `ro`; ext4 remounts so after an error)",
        EXACT,
        slow=True,
    ),
    MetricSpec("fs_inodes_free", "count", G, _MP, "Free inodes (df -i IFree)", EXACT, slow=True),
    MetricSpec("fs_inodes_used_percent", P, P, _MP, "Used share of inodes", PCT, slow=True),
)
HELP: Final = {
    "size_bytes": "Filesystem size in bytes.",
    "free_bytes": "Filesystem free space in bytes.",
    "avail_bytes": "Filesystem space available to non-root users in bytes.",
    "files": "Filesystem total file nodes.",
    "files_free": "Filesystem total free file nodes.",
    "readonly": "Filesystem read-only status.",
    "device_error": "Whether an error occurred while getting statistics for the given device.",
}


def gauges(r: Readings, out: list[Triple]) -> None:
    space, inodes = reading(r, "df", Df), reading(r, "df_inodes", Df)
    if space is not None or inodes is not None:
        filesystems(space, inodes, reading(r, "mounts", Mounts), out)


def samples(r: Readings) -> Iterator[Sample]:
    space, mounts = reading(r, "df", Df), reading(r, "mounts", Mounts)
    if space is None or space.unit != "bytes" or mounts is None:
        return  # without fstypes neither node_exporter's filter nor its labels apply
    inodes = reading(r, "df_inodes", Df)
    by_mount = {m.mountpoint: m for m in mounts.mounts}
    files = {row.mountpoint: row for row in inodes.rows} if inodes is not None else {}
    seen: set[tuple[str, str]] = set()
    for row in space.rows:
        mount = by_mount.get(row.mountpoint)
        key = (row.device, row.mountpoint)
        if mount is None or key in seen or MOUNTPOINTS_EXCLUDED.match(row.mountpoint):
            continue
        if FSTYPES_EXCLUDED.match(mount.fstype):
            continue
        seen.add(key)
        labels = (("device", row.device), ("fstype", mount.fstype), ("mountpoint", row.mountpoint))
        inode = files.get(row.mountpoint)
        values = {
            "size_bytes": row.total,
            "free_bytes": None if row.total is None or row.used is None else row.total - row.used,
            "avail_bytes": row.available,
            "files": inode.total if inode else None,
            "files_free": inode.available if inode else None,
            "readonly": 1 if "ro" in mount.options.split(",") else 0,
            "device_error": 0,  # df answered for it
        }
        for name, value in values.items():
            if value is not None:
                yield node_sample(f"filesystem_{name}", value, "gauge", HELP[name], labels)


COLLECTOR: Final = Collector(
    "filesystem",
    "Space and inodes per filesystem (df, /proc/mounts; slow round)",
    (MOUNTS, DF, DF_INODES),
    METRICS,
    gauges,
    None,
    samples,
    (
        NodeName("fs_size_bytes", "node_filesystem_size_bytes", HELP["size_bytes"], _MP),
        NodeName("fs_avail_bytes", "node_filesystem_avail_bytes", HELP["avail_bytes"], _MP),
        NodeName("fs_inodes_total", "node_filesystem_files", HELP["files"], _MP),
        NodeName("fs_inodes_free", "node_filesystem_files_free", HELP["files_free"], _MP),
        NodeName("fs_readonly", "node_filesystem_readonly", HELP["readonly"], _MP),
    ),
)
