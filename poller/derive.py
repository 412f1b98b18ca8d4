"""Turn two consecutive snapshots of one host's readings into stored points.

Pure: time comes in with the snapshots (the target's uptime, else `Snapshot.ts`). Gauges
need only the current snapshot; rates use the real time between the two reads and are
left out, never negative, when a counter went down, the host rebooted in between (uptime
went down or the boot time moved), or an input is missing on either side.
Every metric name emitted is declared in poller/catalog.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Final, TypeVar

from parsers.cmd_df import Df, DfRow
from parsers.cmd_uname import Uname
from parsers.etc_os_release import OsRelease
from parsers.exposition import DISK_EXCLUDED, FSTYPES_EXCLUDED, MOUNTPOINTS_EXCLUDED
from parsers.proc_cpuinfo import CpuInfo
from parsers.proc_diskstats import DiskStats, Diskstats
from parsers.proc_loadavg import LoadAvg
from parsers.proc_meminfo import Meminfo
from parsers.proc_mounts import Mounts
from parsers.proc_net_dev import NetDev
from parsers.proc_net_netstat import NetNetstat
from parsers.proc_net_snmp import NetSnmp
from parsers.proc_net_sockstat import Sockstat
from parsers.proc_pressure import Pressure
from parsers.proc_stat import CpuSeconds, ProcStat
from parsers.proc_sys_fs_file_nr import FileNr
from parsers.proc_uptime import Uptime
from parsers.proc_vmstat import Vmstat
from poller.points import HostInfo, Point

# /proc/stat's btime is computed from the wall clock minus uptime, so it wobbles by a
# second when NTP slews the clock; only a larger move means the host booted again.
BOOT_TIME_JITTER_S: Final = 2
# /proc/uptime ticks in 10 ms: a shorter interval between two polls is no measurement
# (and a target printing one would make every rate a division by almost 0).
MIN_INTERVAL_S: Final = 0.01
# Stored filesystems are the "real" ones: node_exporter's default exclusions plus
# memory-backed and pseudo types, whose size is RAM or nothing and which come and go
# by the dozen (/run/user/*, container runtimes).
# fmt: off
PSEUDO_FSTYPES: Final = frozenset({
    "tmpfs", "ramfs", "rootfs", "efivarfs", "fuse.lxcfs", "fuse.gvfsd-fuse", "fuse.portal",
    "fuse.snapfuse",
})

# Busy = every mode but idle and iowait; steal counts as busy (the guest wanted the cpu
# and did not get it). guest/guest_nice are left out of the total: the kernel already
# counts them in user/nice (since 2.6.24). A mode whose counter went down (iowait may,
# proc(5); steal on some hypervisors) adds 0 to the total and gets no point of its own.
_BUSY_MODES: Final = ("user", "nice", "system", "irq", "softirq", "steal")
_ALL_MODES: Final = (*_BUSY_MODES, "idle", "iowait", "guest")
_TOTAL_MODES: Final = len(_BUSY_MODES) + 2
_MODE_VALUES: Final = attrgetter(*_ALL_MODES)
_CPU_POINTS: Final = tuple((f"cpu_{m}_percent", i) for i, m in enumerate(_ALL_MODES))

# (metric, counter field) per interface and per disk
_NET_RATES: Final = tuple((f"net_{name}_per_second", attrgetter(field)) for name, field in (
    ("rx_bytes", "rx_bytes_total"), ("tx_bytes", "tx_bytes_total"),
    ("rx_packets", "rx_packets_total"), ("tx_packets", "tx_packets_total"),
    ("rx_errors", "rx_errors_total"), ("tx_errors", "tx_errors_total"),
    ("rx_drops", "rx_dropped_total"), ("tx_drops", "tx_dropped_total"),
))
_DISK_RATES: Final = tuple((f"disk_{name}_per_second", attrgetter(field)) for name, field in (
    ("read_bytes", "read_bytes_total"), ("write_bytes", "written_bytes_total"),
    ("reads", "reads_completed_total"), ("writes", "writes_completed_total"),
))
# (metric, section, protocol, field) of host-wide counters in snmp/netstat
_TABLE_RATES: Final = (
    ("tcp_retransmits_per_second", "net_snmp", "Tcp", "RetransSegs"),
    ("tcp_active_opens_per_second", "net_snmp", "Tcp", "ActiveOpens"),
    ("tcp_passive_opens_per_second", "net_snmp", "Tcp", "PassiveOpens"),
    ("tcp_in_errors_per_second", "net_snmp", "Tcp", "InErrs"),
    ("udp_rcvbuf_errors_per_second", "net_snmp", "Udp", "RcvbufErrors"),
    ("tcp_listen_drops_per_second", "net_netstat", "TcpExt", "ListenDrops"),
)
_VMSTAT_RATES: Final = (
    ("swap_in_pages_per_second", "pswpin"), ("swap_out_pages_per_second", "pswpout"),
    ("major_faults_per_second", "pgmajfault"), ("oom_kills_per_second", "oom_kill"),
)
_PSI: Final = (("cpu", "some"), ("memory", "some"), ("memory", "full"), ("io", "some"),
               ("io", "full"))
# (metric, ProcStat field): gauges, then counters that feed rates
_STAT_GAUGES: Final = (("procs_running", "procs_running"), ("procs_blocked", "procs_blocked"),
                       ("boot_time_seconds", "boot_time_seconds"))
_STAT_RATES: Final = (("context_switches_per_second", "context_switches_total"),
                      ("interrupts_per_second", "interrupts_total"),
                      ("forks_per_second", "forks_total"))
# (metric, meminfo key) of memory gauges read as they are
_MEM_GAUGES: Final = (("mem_total_bytes", "MemTotal"), ("mem_free_bytes", "MemFree"),
                      ("mem_buffers_bytes", "Buffers"), ("mem_cached_bytes", "Cached"),
                      ("mem_dirty_bytes", "Dirty"), ("swap_total_bytes", "SwapTotal"))
# fmt: on

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One poll's readings (section name -> reading) and when it was taken (epoch s)."""

    ts: float
    readings: Mapping[str, object]


def derive(host: str, previous: Snapshot | None, current: Snapshot) -> list[Point]:
    out: list[Point] = []
    ts = current.ts
    cur = current.readings
    for metric, dev, value in _gauges(cur):
        out.append(Point(metric, host, dev, ts, value))
    dt = _elapsed(previous, current) if previous is not None else 0.0
    if previous is not None and dt >= MIN_INTERVAL_S:
        for metric, dev, value in _rates(previous.readings, cur, dt):
            out.append(Point(metric, host, dev, ts, value))
    return out


def _elapsed(previous: Snapshot, current: Snapshot) -> float:
    """Seconds between the two polls' reads of /proc; 0 when no rate may be computed.

    The target's uptime, read by the same `tail` as the counters, measures exactly that,
    free of network and scheduling jitter and of wall-clock steps on the poller; the
    snapshots' ts is the fallback when a poll lacks /proc/uptime. A reboot in between
    (uptime went down, or btime moved by more than its NTP wobble) allows no rate.
    """
    prev, cur = previous.readings, current.readings
    if not _same_boot(prev, cur):
        return 0.0
    up0, up1 = _get(prev, "uptime", Uptime), _get(cur, "uptime", Uptime)
    if up0 is not None and up1 is not None:
        return up1.uptime_seconds - up0.uptime_seconds
    return current.ts - previous.ts


def _get(readings: Mapping[str, object], section: str, kind: type[R]) -> R | None:
    value = readings.get(section)
    return value if isinstance(value, kind) else None


def _same_boot(prev: Mapping[str, object], cur: Mapping[str, object]) -> bool:
    up0, up1 = _get(prev, "uptime", Uptime), _get(cur, "uptime", Uptime)
    if up0 is not None and up1 is not None and up1.uptime_seconds < up0.uptime_seconds:
        return False
    s0, s1 = _get(prev, "stat", ProcStat), _get(cur, "stat", ProcStat)
    if s0 is None or s1 is None or s0.boot_time_seconds is None or s1.boot_time_seconds is None:
        return True
    return abs(s1.boot_time_seconds - s0.boot_time_seconds) <= BOOT_TIME_JITTER_S


Triple = tuple[str, str, float]


def _gauges(r: Mapping[str, object]) -> Iterator[Triple]:
    stat = _get(r, "stat", ProcStat)
    ncpu = len(stat.cpus) if stat is not None else 0
    if stat is not None:
        yield from _stat_gauges(stat)
    load = _get(r, "loadavg", LoadAvg)
    if load is not None:
        for name, value in (("load1", load.load1), ("load5", load.load5), ("load15", load.load15)):
            yield name, "", value
            if ncpu:
                yield f"{name}_per_core", "", value / ncpu
    mem = _get(r, "meminfo", Meminfo)
    if mem is not None:
        yield from _memory(mem)
    uptime = _get(r, "uptime", Uptime)
    if uptime is not None:
        yield "uptime_seconds", "", uptime.uptime_seconds
    yield from _network_gauges(r)
    yield from _psi_gauges(r)
    yield from _filesystems(r)


def _stat_gauges(stat: ProcStat) -> Iterator[Triple]:
    if stat.cpus:
        yield "cpu_count", "", len(stat.cpus)
    for name, field in _STAT_GAUGES:
        value = getattr(stat, field)
        if value is not None:
            yield name, "", value


def _memory(mem: Meminfo) -> Iterator[Triple]:
    """Memory gauges. Without MemAvailable (before 3.14) mem_available_bytes and
    mem_used_* are left out rather than estimated from MemFree+Cached, which can be
    far off (shmem and unreclaimable slab are in Cached); free/cached still land."""
    get = mem.get  # the hot fields, parsed with the reading
    total, avail = get("MemTotal"), get("MemAvailable")
    for name, key in _MEM_GAUGES:
        value = get(key)
        if value is not None:
            yield name, "", value
    # psutil's tests show a kernel printing MemAvailable: -1; that is no measurement
    if total and avail is not None and 0 <= avail <= total:
        yield "mem_available_bytes", "", avail
        yield "mem_used_bytes", "", total - avail
        yield "mem_used_percent", "", (total - avail) * 100.0 / total
    swap_total, swap_free = get("SwapTotal"), get("SwapFree")
    if swap_total is not None and swap_free is not None and swap_free <= swap_total:
        yield "swap_used_bytes", "", swap_total - swap_free
        if swap_total > 0:  # no swap: no share to report
            yield "swap_used_percent", "", (swap_total - swap_free) * 100.0 / swap_total


def _network_gauges(r: Mapping[str, object]) -> Iterator[Triple]:
    fds = _get(r, "file_nr", FileNr)
    if fds is not None:
        yield "open_fds", "", fds.allocated
        yield "fd_max", "", fds.maximum
        if fds.maximum > 0:
            yield "fd_used_percent", "", fds.allocated * 100.0 / fds.maximum
    sock = _get(r, "net_sockstat", Sockstat)
    if sock is not None:
        if sock.sockets_used is not None:
            yield "sockets_used", "", sock.sockets_used
        tw = sock.protocols.get("TCP", {}).get("tw")
        if tw is not None:
            yield "tcp_time_wait", "", tw
    snmp = _get(r, "net_snmp", NetSnmp)
    established = snmp.get("Tcp", "CurrEstab") if snmp else None
    if established is not None:
        yield "tcp_established", "", established


def _psi_gauges(r: Mapping[str, object]) -> Iterator[Triple]:
    for resource, kind in _PSI:
        psi = _get(r, f"pressure_{resource}", Pressure)
        line = getattr(psi, kind) if psi is not None else None
        if line is not None:
            yield f"psi_{resource}_{kind}_avg10", "", line.avg10


def _filesystems(r: Mapping[str, object]) -> Iterator[Triple]:
    space, inodes = _get(r, "df", Df), _get(r, "df_inodes", Df)
    mounts = _get(r, "mounts", Mounts)
    fstypes = mounts.fstype_by_mountpoint() if mounts is not None else {}
    by_mount = {row.mountpoint: row for row in inodes.rows} if inodes is not None else {}
    rows = space.rows if space is not None else inodes.rows if inodes is not None else ()
    for row in _real_filesystems(rows, fstypes):
        mp = row.mountpoint
        if space is not None:
            yield from _fs_space(row)
        inode_row = by_mount.get(mp)
        if inode_row is not None and inode_row.total:  # 0 inodes: btrfs, vfat report none
            total, free = inode_row.total, inode_row.available
            yield "fs_inodes_total", mp, total
            if free is not None and 0 <= free <= total:
                yield "fs_inodes_free", mp, free
                yield "fs_inodes_used_percent", mp, (total - free) * 100.0 / total


def _fs_space(row: DfRow) -> Iterator[Triple]:
    mp, size, used, avail = row.mountpoint, row.total, row.used, row.available
    if size is not None:
        yield "fs_size_bytes", mp, size
    if avail is not None:
        yield "fs_avail_bytes", mp, avail
    if used is not None:
        yield "fs_used_bytes", mp, used
    if used is not None and avail is not None and used + avail > 0:
        yield "fs_used_percent", mp, used * 100.0 / (used + avail)


def _real_filesystems(rows: tuple[DfRow, ...], fstypes: Mapping[str, str]) -> list[DfRow]:
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


def _rates(prev: Mapping[str, object], cur: Mapping[str, object], dt: float) -> Iterator[Triple]:
    s0, s1 = _get(prev, "stat", ProcStat), _get(cur, "stat", ProcStat)
    if s0 is not None and s1 is not None:
        yield from _cpu(s0, s1)
    n0, n1 = _get(prev, "net_dev", NetDev), _get(cur, "net_dev", NetDev)
    if n0 is not None and n1 is not None:
        yield from _counter_rates(n0.interfaces, n1.interfaces, _NET_RATES, dt)
    d0, d1 = _get(prev, "diskstats", Diskstats), _get(cur, "diskstats", Diskstats)
    if d0 is not None and d1 is not None:
        disks1 = {k: v for k, v in d1.devices.items() if not _disk_excluded(k)}
        yield from _counter_rates(d0.devices, disks1, _DISK_RATES, dt)
        yield from _disk_times(d0, disks1, dt)
    c0, c1 = _host_counters(prev), _host_counters(cur)
    for name, v1 in c1.items():
        v0 = c0.get(name)
        if v0 is not None and v1 >= v0:
            rate = (v1 - v0) / dt
            yield name, "", min(rate, 100.0) if name.startswith("psi_") else rate


@lru_cache(maxsize=4096)
def _disk_excluded(name: str) -> bool:
    return DISK_EXCLUDED.match(name) is not None


def _counter_rates(
    before: Mapping[str, object],
    after: Mapping[str, object],
    table: tuple[tuple[str, attrgetter[int]], ...],
    dt: float,
) -> Iterator[Triple]:
    for dev, c1 in after.items():
        c0 = before.get(dev)
        if c0 is None:
            continue  # new device or interface: its first rate comes next poll
        for name, field in table:
            v0, v1 = field(c0), field(c1)
            if v0 is not None and v1 is not None and v1 >= v0:
                yield name, dev, (v1 - v0) / dt


def _disk_times(before: Diskstats, after: Mapping[str, DiskStats], dt: float) -> Iterator[Triple]:
    for dev, d1 in after.items():
        d0 = before.devices.get(dev)
        if d0 is None:
            continue
        busy = _delta(d0.io_time_seconds_total, d1.io_time_seconds_total)
        if busy is not None:
            # io_time is sampled at request boundaries and can run a little ahead of dt
            yield "disk_util_percent", dev, min(busy / dt * 100.0, 100.0)
        weighted = _delta(d0.io_weighted_time_seconds_total, d1.io_weighted_time_seconds_total)
        if weighted is not None:
            yield "disk_queue_depth", dev, weighted / dt
        reads = _delta(d0.reads_completed_total, d1.reads_completed_total)
        read_s = _delta(d0.read_time_seconds_total, d1.read_time_seconds_total)
        if reads and read_s is not None:  # no I/O completed: no mean time, not 0
            yield "disk_read_await_seconds", dev, read_s / reads
        writes = _delta(d0.writes_completed_total, d1.writes_completed_total)
        write_s = _delta(d0.write_time_seconds_total, d1.write_time_seconds_total)
        if writes and write_s is not None:
            yield "disk_write_await_seconds", dev, write_s / writes


def _delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or after < before:
        return None
    return after - before


def _cpu(s0: ProcStat, s1: ProcStat) -> Iterator[Triple]:
    if s0.total is not None and s1.total is not None:
        shares = _cpu_shares(s0.total, s1.total)
        if shares is not None:
            modes, busy = shares
            for name, i in _CPU_POINTS:
                share = modes[i]
                if share is not None:
                    yield name, "", share
            yield "cpu_busy_percent", "", busy
    busiest = -1.0
    for cpu, t1 in s1.cpus.items():
        t0 = s0.cpus.get(cpu)
        shares = _cpu_shares(t0, t1) if t0 is not None else None
        if shares is not None:
            busiest = max(busiest, shares[1])
    if busiest >= 0:
        yield "cpu_core_busy_max_percent", "", busiest


def _cpu_shares(t0: CpuSeconds, t1: CpuSeconds) -> tuple[list[float | None], float] | None:
    """(percent per mode in _ALL_MODES order, busy percent); None when no time passed."""
    deltas = [
        None if a is None or b is None or b < a else b - a
        for a, b in zip(_MODE_VALUES(t0), _MODE_VALUES(t1), strict=True)
    ]
    guest, user, nice = deltas[-1], deltas[0] or 0.0, deltas[1] or 0.0
    if guest is not None and guest > user + nice:
        deltas[-1] = None  # guest time is part of user+nice: more of it is no measurement
    counted = [d or 0.0 for d in deltas[:_TOTAL_MODES]]
    total = sum(counted)
    if total <= 0:
        return None
    scale = 100.0 / total
    busy = sum(counted[: len(_BUSY_MODES)]) * scale
    return [None if d is None else d * scale for d in deltas], busy


def _host_counters(r: Mapping[str, object]) -> dict[str, float]:
    """Host-wide counters by the rate metric they feed (PSI totals scaled to percent)."""
    out: dict[str, float] = {}
    stat = _get(r, "stat", ProcStat)
    if stat is not None:
        for name, field in _STAT_RATES:
            value = getattr(stat, field)
            if value is not None:
                out[name] = value
    for name, section, proto, field in _TABLE_RATES:
        table = r.get(section)
        if isinstance(table, NetSnmp | NetNetstat):
            value = table.get(proto, field)
            if value is not None:
                out[name] = value
    vm = _get(r, "vmstat", Vmstat)
    if vm is not None:
        for name, key in _VMSTAT_RATES:
            value = vm.get(key)
            if value is not None:
                out[name] = value
    for resource, kind in _PSI:
        psi = _get(r, f"pressure_{resource}", Pressure)
        line = getattr(psi, kind) if psi is not None else None
        if line is not None:
            out[f"psi_{resource}_{kind}_percent"] = line.total_seconds * 100.0
    # PSI stall time cannot exceed the time that passed, but uptime's 10 ms ticks (or
    # jitter in ts) can push a share a little past 100: _rates caps it
    return out


def host_info(host: str, ts: float, readings: Mapping[str, object]) -> HostInfo | None:
    """What the host is, from whichever of os_release/uname/cpuinfo/meminfo/stat it sent."""
    osr, uname = _get(readings, "os_release", OsRelease), _get(readings, "uname", Uname)
    cpu, mem = _get(readings, "cpuinfo", CpuInfo), _get(readings, "meminfo", Meminfo)
    stat = _get(readings, "stat", ProcStat)
    cpus = cpu.processors if cpu is not None else None
    if cpus is None and stat is not None and stat.cpus:
        cpus = len(stat.cpus)
    info = HostInfo(
        host,
        ts,
        os_name=osr.pretty_name if osr is not None else None,
        kernel=uname.release if uname is not None else None,
        arch=uname.machine if uname is not None else None,
        cpus=cpus,
        cpu_model=cpu.model_name if cpu is not None else None,
        memory_bytes=float(mem.total_bytes) if mem and mem.total_bytes is not None else None,
        boot_time=float(stat.boot_time_seconds)
        if stat is not None and stat.boot_time_seconds is not None
        else None,
    )
    return None if info == HostInfo(host, ts) else info
