"""Turn two consecutive snapshots of one host's readings into stored points.

Pure: time comes in with the snapshots (the target's uptime, else `Snapshot.ts`). Gauges
need only the current snapshot; rates use the real time between the two reads and are
left out, never negative, when a counter went down, the host rebooted in between (uptime
went down or the boot time moved), or an input is missing on either side.
A snapshot holds what one poll measured: slow-round readings (df) are in it only at
the polls that ran them, so their points are stored once, with the time they were taken.
Every metric name emitted is declared in poller/catalog.py. Rates live in
poller/derive_rates.py, filesystem selection in poller/derive_fs.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.cmd_df import Df
from parsers.cmd_uname import Uname
from parsers.etc_os_release import OsRelease
from parsers.proc_cpuinfo import CpuInfo
from parsers.proc_loadavg import LoadAvg
from parsers.proc_meminfo import Meminfo
from parsers.proc_mounts import Mounts
from parsers.proc_net_snmp import NetSnmp
from parsers.proc_net_sockstat import Sockstat
from parsers.proc_pressure import Pressure
from parsers.proc_stat import ProcStat
from parsers.proc_sys_fs_file_nr import FileNr
from parsers.proc_uptime import Uptime
from poller.derive_fs import PSEUDO_FSTYPES, filesystems
from poller.derive_rates import PSI, Triple, rates, reading
from poller.points import HostInfo, Point

__all__ = ["PSEUDO_FSTYPES", "Snapshot", "derive", "host_info"]

# /proc/stat's btime is computed from the wall clock minus uptime, so it wobbles by a
# second when NTP slews the clock; only a larger move means the host booted again.
BOOT_TIME_JITTER_S: Final = 2
# /proc/uptime ticks in 10 ms: a shorter interval between two polls is no measurement
# (and a target printing one would make every rate a division by almost 0).
MIN_INTERVAL_S: Final = 0.01

# fmt: off
_PSI_GAUGES: Final = tuple((f"pressure_{res}", kind, f"psi_{res}_{kind}_avg10")
                           for res, kind in PSI)
# (metric, ProcStat field) of gauges
_STAT_GAUGES: Final = (("procs_running", "procs_running"), ("procs_blocked", "procs_blocked"),
                       ("boot_time_seconds", "boot_time_seconds"))
# (metric, meminfo key) of memory gauges read as they are
_MEM_GAUGES: Final = (("mem_total_bytes", "MemTotal"), ("mem_free_bytes", "MemFree"),
                      ("mem_buffers_bytes", "Buffers"), ("mem_cached_bytes", "Cached"),
                      ("mem_dirty_bytes", "Dirty"), ("swap_total_bytes", "SwapTotal"))
# fmt: on
# Points are built with tuple.__new__: Point(...) runs NamedTuple's Python-level
# __new__, which cost a third of derive (~100 points a poll).
_new_point: Final = tuple.__new__


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One poll's readings (section name -> reading) and when it was taken (epoch s)."""

    ts: float
    readings: Mapping[str, object]


def derive(host: str, previous: Snapshot | None, current: Snapshot) -> list[Point]:
    triples: list[Triple] = []
    cur = current.readings
    _gauges(cur, triples)
    dt = _elapsed(previous, current) if previous is not None else 0.0
    if previous is not None and dt >= MIN_INTERVAL_S:
        rates(previous.readings, cur, dt, triples)
    ts = current.ts
    return [_new_point(Point, (metric, host, dev, ts, value)) for metric, dev, value in triples]


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
    up0, up1 = reading(prev, "uptime", Uptime), reading(cur, "uptime", Uptime)
    if up0 is not None and up1 is not None:
        return up1.uptime_seconds - up0.uptime_seconds
    return current.ts - previous.ts


def _same_boot(prev: Mapping[str, object], cur: Mapping[str, object]) -> bool:
    up0, up1 = reading(prev, "uptime", Uptime), reading(cur, "uptime", Uptime)
    if up0 is not None and up1 is not None and up1.uptime_seconds < up0.uptime_seconds:
        return False
    s0, s1 = reading(prev, "stat", ProcStat), reading(cur, "stat", ProcStat)
    if s0 is None or s1 is None or s0.boot_time_seconds is None or s1.boot_time_seconds is None:
        return True
    return abs(s1.boot_time_seconds - s0.boot_time_seconds) <= BOOT_TIME_JITTER_S


def _gauges(r: Mapping[str, object], out: list[Triple]) -> None:
    stat = reading(r, "stat", ProcStat)
    ncpu = len(stat.cpus) if stat is not None else 0
    if stat is not None:
        _stat_gauges(stat, out)
    load = reading(r, "loadavg", LoadAvg)
    if load is not None:
        for name, value in (("load1", load.load1), ("load5", load.load5), ("load15", load.load15)):
            out.append((name, "", value))
            if ncpu:
                out.append((f"{name}_per_core", "", value / ncpu))
    mem = reading(r, "meminfo", Meminfo)
    if mem is not None:
        _memory(mem, out)
    uptime = reading(r, "uptime", Uptime)
    if uptime is not None:
        out.append(("uptime_seconds", "", uptime.uptime_seconds))
    _network_gauges(r, out)
    for section, kind, name in _PSI_GAUGES:
        psi = r.get(section)
        line = getattr(psi, kind) if isinstance(psi, Pressure) else None
        if line is not None:
            out.append((name, "", line.avg10))
    space, inodes = reading(r, "df", Df), reading(r, "df_inodes", Df)
    if space is not None or inodes is not None:
        filesystems(space, inodes, reading(r, "mounts", Mounts), out)


def _stat_gauges(stat: ProcStat, out: list[Triple]) -> None:
    if stat.cpus:
        out.append(("cpu_count", "", len(stat.cpus)))
    for name, field in _STAT_GAUGES:
        value = getattr(stat, field)
        if value is not None:
            out.append((name, "", value))


def _memory(mem: Meminfo, out: list[Triple]) -> None:
    """Memory gauges. Without MemAvailable (before 3.14) mem_available_bytes and
    mem_used_* are left out rather than estimated from MemFree+Cached, which can be
    far off (shmem and unreclaimable slab are in Cached); free/cached still land."""
    get = mem.get  # the hot fields, parsed with the reading
    total, avail = get("MemTotal"), get("MemAvailable")
    for name, key in _MEM_GAUGES:
        value = get(key)
        if value is not None:
            out.append((name, "", value))
    # psutil's tests show a kernel printing MemAvailable: -1; that is no measurement
    if total and avail is not None and 0 <= avail <= total:
        out.append(("mem_available_bytes", "", avail))
        out.append(("mem_used_bytes", "", total - avail))
        out.append(("mem_used_percent", "", (total - avail) * 100.0 / total))
    swap_total, swap_free = get("SwapTotal"), get("SwapFree")
    if swap_total is not None and swap_free is not None and swap_free <= swap_total:
        out.append(("swap_used_bytes", "", swap_total - swap_free))
        if swap_total > 0:  # no swap: no share to report
            out.append(("swap_used_percent", "", (swap_total - swap_free) * 100.0 / swap_total))


def _network_gauges(r: Mapping[str, object], out: list[Triple]) -> None:
    fds = reading(r, "file_nr", FileNr)
    if fds is not None:
        out.append(("open_fds", "", fds.allocated))
        out.append(("fd_max", "", fds.maximum))
        if fds.maximum > 0:
            out.append(("fd_used_percent", "", fds.allocated * 100.0 / fds.maximum))
    sock = reading(r, "net_sockstat", Sockstat)
    if sock is not None:
        if sock.sockets_used is not None:
            out.append(("sockets_used", "", sock.sockets_used))
        tw = sock.protocols.get("TCP", {}).get("tw")
        if tw is not None:
            out.append(("tcp_time_wait", "", tw))
    snmp = reading(r, "net_snmp", NetSnmp)
    established = snmp.get("Tcp", "CurrEstab") if snmp else None
    if established is not None:
        out.append(("tcp_established", "", established))


def host_info(host: str, ts: float, readings: Mapping[str, object]) -> HostInfo | None:
    """What the host is, from whichever of os_release/uname/cpuinfo/meminfo/stat it sent."""
    osr, uname = reading(readings, "os_release", OsRelease), reading(readings, "uname", Uname)
    cpu, mem = reading(readings, "cpuinfo", CpuInfo), reading(readings, "meminfo", Meminfo)
    stat = reading(readings, "stat", ProcStat)
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
