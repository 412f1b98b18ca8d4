"""cpu: time per mode from /proc/stat, as shares of all cpus, of each core and of the busiest.

/proc/stat's section is shared with the `stat` collector (kernel activity counters): the
probe reads it once when either is on. /proc/cpuinfo (slow round) says what the cpus are.
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from typing import Final

from parsers import proc_cpuinfo, proc_stat
from parsers.exposition import Sample, node_sample
from parsers.proc_stat import CpuSeconds, ProcStat
from poller.collectors.base import FIXED_WHILE_UP, Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, G, MetricSpec, P

STAT: Final = Source("stat", proc_stat.parse, path="/proc/stat")
# cpuinfo is summarised with grep because /proc/cpuinfo is ~1 KB per CPU (128 KB on big
# boxes); the lines kept are the ones the cpuinfo parser reads, in the same format.
CPUINFO: Final = Source(
    "cpuinfo",
    proc_cpuinfo.parse,
    command=(
        "grep -E '^(processor|model name|Model|Hardware|physical id|core id|cpu cores)"
        "[[:space:]]*:' /proc/cpuinfo"
    ),
    slow=True,
    # models and topology are fixed while the host runs (the online count comes from
    # /proc/stat at every poll)
    every=FIXED_WHILE_UP,
)

# Busy = every mode but idle and iowait; steal counts as busy (the guest wanted the cpu
# and did not get it). guest/guest_nice are left out of the total: the kernel already
# counts them in user/nice (since 2.6.24). A mode whose counter went down (iowait may,
# proc(5); steal on some hypervisors) adds 0 to the total and gets no point of its own.
_BUSY_MODES: Final = ("user", "nice", "system", "irq", "softirq", "steal")
_ALL_MODES: Final = (*_BUSY_MODES, "idle", "iowait", "guest")
_TOTAL_MODES: Final = len(_BUSY_MODES) + 2
_MODE_VALUES: Final = attrgetter(*_ALL_MODES)
_COUNTED_VALUES: Final = attrgetter(*_ALL_MODES[:_TOTAL_MODES])
_CPU_POINTS: Final = tuple((f"cpu_{m}_percent", i) for i, m in enumerate(_ALL_MODES))
# node_exporter's modes of node_cpu_seconds_total
_NODE_MODES: Final = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
CPU_HELP: Final = "Seconds the CPUs spent in each mode."
GUEST_HELP: Final = "Seconds the CPUs spent in guests (VMs) for each mode."

_CPU = "share of all cpus' time since the previous poll, from /proc/stat jiffies"
# percent of the summed delta of all modes except guest/guest_nice (already in user/nice)
METRICS: Final = (
    MetricSpec("cpu_busy_percent", P, P, None, f"Not idle and not iowait: {_CPU}", PCT),
    MetricSpec("cpu_user_percent", P, P, None, f"User mode, guest included: {_CPU}", PCT),
    MetricSpec("cpu_nice_percent", P, P, None, f"Niced user mode: {_CPU}", PCT),
    MetricSpec("cpu_system_percent", P, P, None, f"Kernel mode: {_CPU}", PCT),
    MetricSpec("cpu_idle_percent", P, P, None, f"Idle: {_CPU}", PCT),
    MetricSpec("cpu_iowait_percent", P, P, None, f"Idle with I/O outstanding: {_CPU}", PCT),
    MetricSpec("cpu_irq_percent", P, P, None, f"Hard interrupts: {_CPU}", PCT),
    MetricSpec("cpu_softirq_percent", P, P, None, f"Soft interrupts: {_CPU}", PCT),
    MetricSpec("cpu_steal_percent", P, P, None, f"Stolen by the hypervisor: {_CPU}", PCT),
    MetricSpec("cpu_guest_percent", P, P, None, f"Running guests (also in user): {_CPU}", PCT),
    MetricSpec(
        "cpu_core_busy_max_percent",
        P,
        P,
        None,
        "Busiest single cpu's busy share since the previous poll (one pegged thread)",
        PCT,
    ),
    MetricSpec(
        "cpu_core_busy_percent",
        P,
        P,
        "cpu",
        "One cpu's busy share since the previous poll (dev: cpu0, cpu1, … as in /proc/stat)",
        PCT,
    ),
    MetricSpec("cpu_count", "count", G, None, "Online cpus (cpuN lines of /proc/stat)", EXACT),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    stat = reading(r, "stat", ProcStat)
    if stat is not None and stat.cpus:
        out.append(("cpu_count", "", len(stat.cpus)))


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    s0, s1 = reading(prev, "stat", ProcStat), reading(cur, "stat", ProcStat)
    if s0 is None or s1 is None:
        return
    if s0.total is not None and s1.total is not None:
        shares = _cpu_shares(s0.total, s1.total)
        if shares is not None:
            modes, busy = shares
            for name, i in _CPU_POINTS:
                share = modes[i]
                if share is not None:
                    out.append((name, "", share))
            out.append(("cpu_busy_percent", "", busy))
    # One point per core, so a pegged thread that hops between cores or one hot IRQ core
    # keeps its history. The cores are capped per host (poller/derive_cap.py, "stat") before
    # this runs. A core missing on either side (offline at one poll: /proc/stat lists only
    # online cpus) gets no point rather than a guess.
    busiest = -1.0
    before = s0.cpus
    for cpu, t1 in s1.cpus.items():
        t0 = before.get(cpu)
        core = _busy_percent(t0, t1) if t0 is not None else None
        if core is None:
            continue
        out.append(("cpu_core_busy_percent", f"cpu{cpu}", core))
        busiest = max(busiest, core)
    if busiest >= 0:
        out.append(("cpu_core_busy_max_percent", "", busiest))


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


def _busy_percent(t0: CpuSeconds, t1: CpuSeconds) -> float | None:
    """_cpu_shares(t0, t1)[1], the same sums in the same order, without the per-mode
    shares: per core only the busy share is used, and hosts have dozens of cores.
    Counters that went down add 0, so the share stays within 0-100 whatever moved."""
    counted = [
        0.0 if a is None or b is None or b < a else b - a
        for a, b in zip(_COUNTED_VALUES(t0), _COUNTED_VALUES(t1), strict=True)
    ]
    total = sum(counted)
    if total <= 0:
        return None
    # busy is a part of total, so at most 100 but for float rounding (x * (100 / x))
    return min(100.0, sum(counted[: len(_BUSY_MODES)]) * (100.0 / total))


def samples(r: Readings) -> Iterator[Sample]:
    # per cpu only, like node_exporter; guest stays inside user/nice and is also
    # exported on its own as node_cpu_guest_seconds_total
    stat = reading(r, "stat", ProcStat)
    if stat is None:
        return
    for cpu, times in stat.cpus.items():
        for mode in _NODE_MODES:
            value = getattr(times, mode)
            if value is not None:
                labels = (("cpu", cpu), ("mode", mode))
                yield node_sample("cpu_seconds_total", value, "counter", CPU_HELP, labels)
        for mode, value in (("user", times.guest), ("nice", times.guest_nice)):
            if value is not None:
                labels = (("cpu", cpu), ("mode", mode))
                yield node_sample("cpu_guest_seconds_total", value, "counter", GUEST_HELP, labels)


COLLECTOR: Final = Collector(
    "cpu",
    "Time per cpu mode (/proc/stat) and what the cpus are (/proc/cpuinfo)",
    (STAT, CPUINFO),
    METRICS,
    gauges,
    rates,
    samples,
)
