"""Turn two consecutive snapshots of one host's readings into stored points.

Pure: time comes in with the snapshots (the target's uptime, else `Snapshot.ts`). Gauges
need only the current snapshot; rates use the real time between the two reads and are
left out, never negative, when a counter went down, the host rebooted in between (uptime
went down or the boot time moved), or an input is missing on either side.
A snapshot holds what one poll measured: slow-round readings (df) are in it only at
the polls that ran them, so their points are stored once, with the time they were taken.
Every metric name emitted is declared in poller/catalog.py. What each source derives lives
with its collector (poller/collectors/); this module runs them and keeps the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.cmd_systemctl_failed import FailedUnits
from parsers.cmd_uname import Uname
from parsers.etc_os_release import OsRelease
from parsers.proc_cpuinfo import CpuInfo
from parsers.proc_meminfo import Meminfo
from parsers.proc_net_snmp import ProtocolCounters
from parsers.proc_stat import ProcStat
from parsers.proc_uptime import Uptime
from parsers.proc_vmstat import Vmstat
from poller.collectors.base import Collector, Triple, reading
from poller.collectors.filesystem_rows import PSEUDO_FSTYPES
from poller.collectors.registry import COLLECTORS
from poller.points import HostInfo, Point

__all__ = ["PSEUDO_FSTYPES", "Snapshot", "derive", "for_rates", "host_info"]

# /proc/stat's btime is computed from the wall clock minus uptime, so it wobbles by a
# second when NTP slews the clock; only a larger move means the host booted again.
BOOT_TIME_JITTER_S: Final = 2
# /proc/uptime ticks in 10 ms: a shorter interval between two polls is no measurement
# (and a target printing one would make every rate a division by almost 0).
MIN_INTERVAL_S: Final = 0.01
# Points are built with tuple.__new__: Point(...) runs NamedTuple's Python-level
# __new__, which cost a third of derive (~100 points a poll).
_new_point: Final = tuple.__new__


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One poll's readings (section name -> reading) and when it was taken (epoch s)."""

    ts: float
    readings: Mapping[str, object]


# Readings that keep their kernel text for /metrics and parse only the fields rates read
# (`hot`); as a previous snapshot they need `hot` alone.
_TEXT_BACKED: Final = (Vmstat, Meminfo, ProtocolCounters)


def for_rates(readings: Mapping[str, object]) -> dict[str, object]:
    """`readings` as the previous snapshot of the next derive: the text-backed ones
    without their text. Every host holds its previous snapshot for a whole interval, and
    that text (vmstat, meminfo, snmp, netstat: ~10 KB) was the largest thing it held."""
    return {k: v.for_rates() if isinstance(v, _TEXT_BACKED) else v for k, v in readings.items()}


def derive(
    host: str,
    previous: Snapshot | None,
    current: Snapshot,
    collectors: tuple[Collector, ...] = COLLECTORS,
    failed: dict[str, str] | None = None,
) -> list[Point]:
    """Points of every collector in `collectors`. A collector whose derivation raises (a
    bug, or a reading no test foresaw) loses only its own points: its name and the error
    go into `failed` when given, and the other collectors' points still land."""
    triples: list[Triple] = []
    cur = current.readings
    dt = _elapsed(previous, current) if previous is not None else 0.0
    rated = previous is not None and dt >= MIN_INTERVAL_S
    prev = previous.readings if previous is not None else {}
    for c in collectors:
        mark = len(triples)
        try:
            if c.gauges is not None:
                c.gauges(cur, triples)
            if rated and c.rates is not None:
                c.rates(prev, cur, dt, triples)
        except Exception as exc:
            del triples[mark:]
            if failed is None:
                raise
            failed[c.name] = f"derivation failed: {exc!r}"
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


def host_info(host: str, ts: float, readings: Mapping[str, object]) -> HostInfo | None:
    """What the host is, from whichever of os_release/uname/cpuinfo/meminfo/stat it sent,
    and which systemd units failed (systemd_failed)."""
    osr, uname = reading(readings, "os_release", OsRelease), reading(readings, "uname", Uname)
    cpu, mem = reading(readings, "cpuinfo", CpuInfo), reading(readings, "meminfo", Meminfo)
    stat = reading(readings, "stat", ProcStat)
    failed = reading(readings, "systemd_failed", FailedUnits)
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
        failed_units=failed.names if failed is not None else None,
    )
    return None if info == HostInfo(host, ts) else info
