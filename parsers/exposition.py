"""Readings -> samples named, labelled and scaled exactly as node_exporter exports them.

So any capture can be compared with node_exporter on the same host, and existing
node_exporter dashboards work on sshmon's /metrics. Only what the probe reads is
exported: no node_time_seconds (the target's clock is not read), node_uname_info without
`domainname`, sockstat without *_mem_bytes (the target's page size is not read).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from parsers.cmd_df import Df
from parsers.cmd_uname import Uname
from parsers.etc_os_release import OsRelease
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

# node_exporter's defaults (collector/filesystem_linux.go, diskstats_linux.go,
# vmstat_linux.go, netstat_linux.go, node_exporter 1.8)
MOUNTPOINTS_EXCLUDED: Final = re.compile(
    r"^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)"
)
FSTYPES_EXCLUDED: Final = re.compile(
    r"^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs"
    r"|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs"
    r"|squashfs|erofs|sysfs|tracefs)$"
)
DISK_EXCLUDED: Final = re.compile(r"^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$")
VMSTAT_FIELDS: Final = re.compile(r"^(oom_kill|pgpg|pswp|pg.*fault).*")
NETSTAT_FIELDS: Final = re.compile(
    r"^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)"
    r"|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)"
    r"|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)"
    r"|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$"
)
# names built from target text (meminfo, vmstat, netstat keys) must still be metric names
_METRIC_NAME: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_CPU_MODES: Final = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
# fmt: off
# node_exporter's names of NetDevCounters' columns, in the same order
_NET_FIELDS: Final = (
    "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo",
    "receive_frame", "receive_compressed", "receive_multicast", "transmit_bytes",
    "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls",
    "transmit_carrier", "transmit_compressed",
)
# (DiskStats field, node_exporter name after node_disk_ if different, HELP); node_exporter
# types them all as counters but io_now, and keeps discarded_sectors_total in sectors
_DISK: Final = (
    ("reads_completed_total", "", "The total number of reads completed successfully."),
    ("reads_merged_total", "", "The total number of reads merged."),
    ("read_bytes_total", "", "The total number of bytes read successfully."),
    ("read_time_seconds_total", "", "The total number of seconds spent by all reads."),
    ("writes_completed_total", "", "The total number of writes completed successfully."),
    ("writes_merged_total", "", "The number of writes merged."),
    ("written_bytes_total", "", "The total number of bytes written successfully."),
    ("write_time_seconds_total", "", "This is the total number of seconds spent by all writes."),
    ("io_in_progress", "io_now", "The number of I/Os currently in progress."),
    ("io_time_seconds_total", "", "Total seconds spent doing I/Os."),
    ("io_weighted_time_seconds_total", "io_time_weighted_seconds_total",
     "The weighted # of seconds spent doing I/Os."),
    ("discards_completed_total", "", "The total number of discards completed successfully."),
    ("discards_merged_total", "", "The total number of discards merged."),
    ("discarded_bytes_total", "discarded_sectors_total",
     "The total number of sectors discarded successfully."),
    ("discard_time_seconds_total", "",
     "This is the total number of seconds spent by all discards."),
    ("flush_requests_total", "", "The total number of flush requests completed successfully"),
    ("flush_time_seconds_total", "flush_requests_time_seconds_total",
     "This is the total number of seconds spent by all flush requests."),
)
_OS_LABELS: Final = (
    "build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name", "variant",
    "variant_id", "version", "version_codename", "version_id",
)
# fmt: on

Labels = tuple[tuple[str, str], ...]
SampleType = Literal["counter", "gauge", "untyped"]


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
    out.sort(key=lambda s: (s.name, s.labels))
    return out


def _s(name: str, value: float, typ: SampleType, help_: str, labels: Labels = ()) -> Sample:
    return Sample(f"node_{name}", labels, value, typ, help_)


# fmt: off
# (ProcStat field, node_exporter name after node_, type, HELP)
_STAT: Final[tuple[tuple[str, str, SampleType, str], ...]] = (
    ("boot_time_seconds", "boot_time_seconds", "gauge", "Node boot time, in unixtime."),
    ("context_switches_total", "context_switches_total", "counter",
     "Total number of context switches."),
    ("forks_total", "forks_total", "counter", "Total number of forks."),
    ("interrupts_total", "intr_total", "counter", "Total number of interrupts serviced."),
    ("procs_running", "procs_running", "gauge", "Number of processes in runnable state."),
    ("procs_blocked", "procs_blocked", "gauge",
     "Number of processes blocked waiting for I/O to complete."),
)
_PSI_HELP: Final = {
    ("cpu", "waiting"): "Total time in seconds that processes have waited for CPU time",
    ("cpu", "stalled"): "Total time in seconds no process could make progress due to CPU",
    ("memory", "waiting"): "Total time in seconds that processes have waited for memory",
    ("memory", "stalled"):
        "Total time in seconds no process could make progress due to memory congestion",
    ("io", "waiting"): "Total time in seconds that processes have waited due to IO congestion",
    ("io", "stalled"): "Total time in seconds no process could make progress due to IO congestion",
}
_FS_HELP: Final = {
    "size_bytes": "Filesystem size in bytes.",
    "free_bytes": "Filesystem free space in bytes.",
    "avail_bytes": "Filesystem space available to non-root users in bytes.",
    "files": "Filesystem total file nodes.",
    "files_free": "Filesystem total free file nodes.",
    "readonly": "Filesystem read-only status.",
    "device_error": "Whether an error occurred while getting statistics for the given device.",
}
_CPU_HELP: Final = "Seconds the CPUs spent in each mode."
_GUEST_HELP: Final = "Seconds the CPUs spent in guests (VMs) for each mode."
# fmt: on


def _stat(stat: ProcStat) -> Iterator[Sample]:
    # per cpu only, like node_exporter; guest stays inside user/nice and is also
    # exported on its own as node_cpu_guest_seconds_total
    for cpu, times in stat.cpus.items():
        for mode in _CPU_MODES:
            value = getattr(times, mode)
            if value is not None:
                labels = (("cpu", cpu), ("mode", mode))
                yield _s("cpu_seconds_total", value, "counter", _CPU_HELP, labels)
        for mode, value in (("user", times.guest), ("nice", times.guest_nice)):
            if value is not None:
                labels = (("cpu", cpu), ("mode", mode))
                yield _s("cpu_guest_seconds_total", value, "counter", _GUEST_HELP, labels)
    for field, name, typ, help_ in _STAT:
        value = getattr(stat, field)
        if value is not None:
            yield _s(name, value, typ, help_)


def _pressure(resource: str, psi: Pressure) -> Iterator[Sample]:
    # node_exporter: PSI `some` is "waiting", `full` is "stalled" (cpu full since 5.13)
    for kind, line in (("waiting", psi.some), ("stalled", psi.full)):
        help_ = _PSI_HELP.get((resource, kind))
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
                yield _s(f"filesystem_{name}", value, "gauge", _FS_HELP[name], labels)


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
    for source, suffix in ((mem.sizes_bytes, "_bytes"), (mem.counts, "")):
        for key, value in source.items():
            field = key.replace("(", "_").replace(")", "") + suffix
            if _METRIC_NAME.fullmatch(field):
                yield _s(f"memory_{field}", value, "gauge", f"Memory information field {field}.")


def _net_dev(net: NetDev) -> Iterator[Sample]:
    for device, counters in net.interfaces.items():
        labels = (("device", device),)
        for field, value in zip(_NET_FIELDS, counters, strict=True):
            help_ = f"Network device statistic {field}."
            yield _s(f"network_{field}_total", value, "counter", help_, labels)


def _diskstats(disks: Diskstats) -> Iterator[Sample]:
    for device, stats in disks.devices.items():
        if DISK_EXCLUDED.match(device):
            continue
        labels = (("device", device),)
        for field, name, help_ in _DISK:
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
    labels = tuple((k, osr.fields.get(k.upper(), "")) for k in _OS_LABELS)
    help_ = "A metric with a constant '1' value labeled by " + ", ".join(_OS_LABELS) + "."
    yield _s("os_info", 1, "gauge", help_, labels)
    version = re.match(r"\d+(\.\d+)?", osr.fields.get("VERSION_ID", ""))
    if version:
        labels = tuple((k, osr.fields.get(k.upper(), "")) for k in ("id", "id_like", "name"))
        help_ = "Metric containing the major.minor part of the OS version."
        yield _s("os_version", float(version.group()), "gauge", help_, labels)


def render_prometheus(samples: Iterable[Sample], extra_labels: Labels = ()) -> str:
    """Text exposition format 0.0.4: one HELP/TYPE per family, families contiguous."""
    for name, _ in extra_labels:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"invalid label name {name!r}")
    overridden = {name for name, _ in extra_labels}
    families: dict[str, list[Sample]] = {}
    for sample in samples:
        families.setdefault(sample.name, []).append(sample)
    lines: list[str] = []
    for name, members in families.items():
        first = members[0]
        lines.append(f"# HELP {name} {_escape_help(first.help)}")
        lines.append(f"# TYPE {name} {first.type}")
        seen: set[Labels] = set()
        for s in members:
            labels = extra_labels + tuple(kv for kv in s.labels if kv[0] not in overridden)
            if labels in seen:
                continue  # a second value of one series would make the scrape invalid
            seen.add(labels)
            body = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels)
            lines.append(
                f"{name}{{{body}}} {go_float(s.value)}" if body else f"{name} {go_float(s.value)}"
            )
    return "\n".join(lines) + "\n" if lines else ""


def render_json(samples: Iterable[Sample]) -> str:
    return json.dumps(
        [
            {"name": s.name, "labels": dict(s.labels), "value": s.value, "type": s.type}
            for s in samples
        ],
        indent=1,
        allow_nan=False,
    )


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def go_float(value: float) -> str:
    """Format like Go's strconv.FormatFloat(v, 'g', -1, 64), as node_exporter prints."""
    v = float(value)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "0"
    sign, digits, exp = Decimal(repr(v)).normalize().as_tuple()
    nd, dp = len(digits), len(digits) + int(exp)
    text = "".join(map(str, digits))
    if dp - 1 < -4 or dp - 1 >= 6:  # Go's shortest 'g' switches to %e there
        mant = text[0] + ("." + text[1:] if nd > 1 else "")
        out = f"{mant}e{'+' if dp - 1 >= 0 else '-'}{abs(dp - 1):02d}"
    elif dp <= 0:
        out = "0." + "0" * -dp + text
    else:
        out = text[:dp] + "0" * (dp - nd) + ("." + text[dp:] if nd > dp else "")
    return "-" + out if sign else out
