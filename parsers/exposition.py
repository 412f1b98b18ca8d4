"""Readings -> samples named, labelled and scaled exactly as node_exporter exports them.

So any capture can be compared with node_exporter on the same host, and existing
node_exporter dashboards work on sshmon's /metrics. Only what the probe reads is
exported: no node_time_seconds (the target's clock is not read), node_uname_info without
`domainname`, sockstat without *_mem_bytes (the target's page size is not read).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Final

from parsers.cmd_df import Df
from parsers.cmd_uname import Uname
from parsers.etc_os_release import OsRelease

# The filters and renderers are re-exported (__all__): parsers.exposition stays the one
# import for them, as before the split.
from parsers.exposition_filters import (
    DISK_EXCLUDED,
    FSTYPES_EXCLUDED,
    MOUNTPOINTS_EXCLUDED,
    NETSTAT_FIELDS,
    VMSTAT_FIELDS,
)
from parsers.exposition_names import (
    CPU_HELP,
    DISK_FIELDS,
    FS_HELP,
    GUEST_HELP,
    NET_FIELDS,
    OS_LABELS,
    PSI_HELP,
    STAT_FIELDS,
    SampleType,
)
from parsers.exposition_render import families, render, render_json, render_prometheus
from parsers.proc_diskstats import SECTOR_BYTES, Diskstats
from parsers.proc_loadavg import LoadAvg
from parsers.proc_meminfo import Meminfo
from parsers.proc_mounts import Mounts
from parsers.proc_net_dev import NetDev
from parsers.proc_net_netstat import NetNetstat
from parsers.proc_net_snmp import NetSnmp
from parsers.proc_net_sockstat import Sockstat
from parsers.proc_pressure import Pressure
from parsers.proc_stat import ProcStat
from parsers.proc_sys_fs_file_nr import FileNr
from parsers.proc_vmstat import Vmstat

# names built from target text (meminfo, vmstat, netstat keys) must still be metric names
_METRIC_NAME: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_BY_NAME_AND_LABELS: Final = attrgetter("name", "labels")  # C-level: no lambda per sample
_CPU_MODES: Final = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")

__all__ = [
    "DISK_EXCLUDED", "FSTYPES_EXCLUDED", "MOUNTPOINTS_EXCLUDED", "NETSTAT_FIELDS",
    "VMSTAT_FIELDS", "Labels", "Sample", "SampleType", "families", "render", "render_json",
    "render_prometheus", "samples",
]  # fmt: skip

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """One exported value. `type` is node_exporter's: vmstat and netstat are 'untyped'."""

    name: str
    labels: Labels
    value: float
    type: SampleType
    help: str


def samples(readings: Mapping[str, object]) -> list[Sample]:
    out: list[Sample] = []
    for section, reading in readings.items():
        if isinstance(reading, ProcStat):
            out.extend(_stat(reading))
        elif isinstance(reading, Pressure) and section.startswith("pressure_"):
            out.extend(_pressure(section.removeprefix("pressure_"), reading))
        elif isinstance(reading, Df) and reading.unit == "bytes":
            out.extend(_filesystems(reading, readings.get("df_inodes"), readings.get("mounts")))
        else:
            out.extend(_simple(reading))
    out.sort(key=_BY_NAME_AND_LABELS)
    return out


def _s(name: str, value: float, typ: SampleType, help_: str, labels: Labels = ()) -> Sample:
    return Sample(f"node_{name}", labels, value, typ, help_)


def _stat(stat: ProcStat) -> Iterator[Sample]:
    # per cpu only, like node_exporter; guest stays inside user/nice and is also
    # exported on its own as node_cpu_guest_seconds_total
    for cpu, times in stat.cpus.items():
        for mode in _CPU_MODES:
            value = getattr(times, mode)
            if value is not None:
                labels = (("cpu", cpu), ("mode", mode))
                yield _s("cpu_seconds_total", value, "counter", CPU_HELP, labels)
        for mode, value in (("user", times.guest), ("nice", times.guest_nice)):
            if value is not None:
                labels = (("cpu", cpu), ("mode", mode))
                yield _s("cpu_guest_seconds_total", value, "counter", GUEST_HELP, labels)
    for field, name, typ, help_ in STAT_FIELDS:
        value = getattr(stat, field)
        if value is not None:
            yield _s(name, value, typ, help_)


def _pressure(resource: str, psi: Pressure) -> Iterator[Sample]:
    # node_exporter: PSI `some` is "waiting", `full` is "stalled" (cpu full since 5.13)
    for kind, line in (("waiting", psi.some), ("stalled", psi.full)):
        help_ = PSI_HELP.get((resource, kind))
        if line is not None and help_ is not None:
            name = f"pressure_{resource}_{kind}_seconds_total"
            yield _s(name, line.total_seconds, "counter", help_)


def _filesystems(space: Df, inodes: object, mounts: object) -> Iterator[Sample]:
    if not isinstance(mounts, Mounts):
        return  # without fstypes neither node_exporter's filter nor its labels apply
    by_mount = {m.mountpoint: m for m in mounts.mounts}
    files = {r.mountpoint: r for r in inodes.rows} if isinstance(inodes, Df) else {}
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
                yield _s(f"filesystem_{name}", value, "gauge", FS_HELP[name], labels)


def _simple(reading: object) -> Iterable[Sample]:
    if isinstance(reading, Meminfo):
        return _meminfo(reading)
    if isinstance(reading, LoadAvg):
        loads = ((1, reading.load1), (5, reading.load5), (15, reading.load15))
        return [_s(f"load{n}", v, "gauge", f"{n}m load average.") for n, v in loads]
    if isinstance(reading, FileNr):
        fds = (("allocated", reading.allocated), ("maximum", reading.maximum))
        return [_s(f"filefd_{k}", v, "gauge", f"File descriptor statistics: {k}.") for k, v in fds]
    if isinstance(reading, NetDev):
        return _net_dev(reading)
    if isinstance(reading, Diskstats):
        return _diskstats(reading)
    if isinstance(reading, Vmstat):
        return [
            _s(f"vmstat_{k}", v, "untyped", f"/proc/vmstat information field {k}.")
            for k, v in reading.values.items()
            if VMSTAT_FIELDS.match(k) and _METRIC_NAME.fullmatch(k)
        ]
    if isinstance(reading, NetSnmp | NetNetstat):
        return _netstat(reading.protocols)
    if isinstance(reading, Sockstat):
        return _sockstat(reading)
    if isinstance(reading, Uname):
        return _uname(reading)
    if isinstance(reading, OsRelease):
        return _os_release(reading)
    return ()  # uptime, cpuinfo, mounts, df -i: node_exporter has no family of their own


def _meminfo(mem: Meminfo) -> Iterator[Sample]:
    # node_exporter: Active(anon) -> Active_anon; kB fields get _bytes, counts do not
    sizes, counts = mem.by_unit()  # one pass over the text, not one per mapping
    for source, suffix in ((sizes, "_bytes"), (counts, "")):
        for key, value in source.items():
            field = key.replace("(", "_").replace(")", "") + suffix
            if _METRIC_NAME.fullmatch(field):
                yield _s(f"memory_{field}", value, "gauge", f"Memory information field {field}.")


def _net_dev(net: NetDev) -> Iterator[Sample]:
    for device, counters in net.interfaces.items():
        labels = (("device", device),)
        for field, value in zip(NET_FIELDS, counters, strict=True):
            help_ = f"Network device statistic {field}."
            yield _s(f"network_{field}_total", value, "counter", help_, labels)


def _diskstats(disks: Diskstats) -> Iterator[Sample]:
    for device, stats in disks.devices.items():
        if DISK_EXCLUDED.match(device):
            continue
        labels = (("device", device),)
        for field, name, help_ in DISK_FIELDS:
            value = getattr(stats, field)
            if value is None:
                continue
            if field == "discarded_bytes_total":
                value /= SECTOR_BYTES
            typ: SampleType = "gauge" if field == "io_in_progress" else "counter"
            yield _s(f"disk_{name or field}", value, typ, help_, labels)


def _netstat(protocols: Mapping[str, Mapping[str, int]]) -> Iterator[Sample]:
    for proto, fields in protocols.items():
        for field, value in fields.items():
            key = f"{proto}_{field}"
            if NETSTAT_FIELDS.match(key) and _METRIC_NAME.fullmatch(key):
                yield _s(f"netstat_{key}", value, "untyped", f"Statistic {proto}{field}.")


def _sockstat(sock: Sockstat) -> Iterator[Sample]:
    if sock.sockets_used is not None:
        help_ = "Number of IPv4 sockets in use."
        yield _s("sockstat_sockets_used", sock.sockets_used, "gauge", help_)
    for proto, fields in sock.protocols.items():
        for key, value in fields.items():
            name = f"sockstat_{proto}_{key}"
            if _METRIC_NAME.fullmatch(name):
                yield _s(name, value, "gauge", f"Number of {proto} sockets in state {key}.")


def _uname(u: Uname) -> Iterator[Sample]:
    # node_exporter also has `domainname`, which `uname -snrm` does not print
    values = (u.machine, u.nodename, u.release, u.sysname, u.version or "")
    names = ("machine", "nodename", "release", "sysname", "version")
    labels = tuple(zip(names, values, strict=True))
    help_ = "Labeled system information as provided by the uname system call."
    yield _s("uname_info", 1, "gauge", help_, labels)


def _os_release(osr: OsRelease) -> Iterator[Sample]:
    labels = tuple((k, osr.fields.get(k.upper(), "")) for k in OS_LABELS)
    help_ = "A metric with a constant '1' value labeled by " + ", ".join(OS_LABELS) + "."
    yield _s("os_info", 1, "gauge", help_, labels)
    # bounded like every number from a target (parsers/numbers.py): float() of 400 digits
    # is inf, which JSON output refuses
    version = re.match(r"\d{1,9}(\.\d{1,9})?", osr.fields.get("VERSION_ID", ""))
    if version:
        labels = tuple((k, osr.fields.get(k.upper(), "")) for k in ("id", "id_like", "name"))
        help_ = "Metric containing the major.minor part of the OS version."
        yield _s("os_version", float(version.group()), "gauge", help_, labels)
