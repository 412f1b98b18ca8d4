"""stat: kernel activity from /proc/stat (boot time, tasks, context switches, forks, irqs,
softirqs per vector).

Reads the same section as the cpu collector (the probe asks for /proc/stat once).
"""

from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter
from typing import Final

from parsers.exposition import Sample, SampleType, node_sample
from parsers.proc_stat import ProcStat
from poller.collectors.base import Collector, NodeName, Readings, Triple, counter_rate, reading
from poller.collectors.cpu import STAT
from poller.metric_spec import EXACT, RATE, G, MetricSpec, R

# fmt: off
# (metric, ProcStat field) of gauges
_GAUGES: Final = (("procs_running", "procs_running"), ("procs_blocked", "procs_blocked"),
                  ("boot_time_seconds", "boot_time_seconds"))
# (metric, ProcStat field) of counters that feed rates
_RATES: Final = (("context_switches_per_second", attrgetter("context_switches_total")),
                 ("interrupts_per_second", attrgetter("interrupts_total")),
                 ("forks_per_second", attrgetter("forks_total")))
# (ProcStat field, node_exporter name after node_, type, HELP)
FIELDS: Final[tuple[tuple[str, str, SampleType, str], ...]] = (
    ("boot_time_seconds", "boot_time_seconds", "gauge", "Node boot time, in unixtime."),
    ("context_switches_total", "context_switches_total", "counter",
     "Total number of context switches."),
    ("forks_total", "forks_total", "counter", "Total number of forks."),
    ("interrupts_total", "intr_total", "counter", "Total number of interrupts serviced."),
    ("procs_running", "procs_running", "gauge", "Number of processes in runnable state."),
    ("procs_blocked", "procs_blocked", "gauge",
     "Number of processes blocked waiting for I/O to complete."),
)
# The `softirq` line's vectors in kernel order (include/linux/interrupt.h), labelled as
# node_exporter 1.5 does (collector/stat_linux.go, under --collector.stat.softirq):
# node_softirqs_total{vector}. The kernel renamed BLOCK_IOPOLL to IRQ_POLL in 4.5; the
# label kept the old name. (/proc/softirqs has the same counts per cpu; node_exporter
# 1.5 has no collector for it, so it is not read.)
SOFTIRQ_VECTORS: Final = ("hi", "timer", "net_tx", "net_rx", "block", "block_iopoll",
                          "tasklet", "sched", "hrtimer", "rcu")
_SOFTIRQ_HELP: Final = "Number of softirq calls."
# fmt: on

METRICS: Final = (
    MetricSpec("procs_running", "count", G, None, "Runnable tasks (/proc/stat)", EXACT),
    MetricSpec("procs_blocked", "count", G, None, "Tasks blocked on I/O (/proc/stat)", EXACT),
    MetricSpec("context_switches_per_second", "per_second", R, None, "Context switches", RATE),
    MetricSpec("interrupts_per_second", "per_second", R, None, "Interrupts serviced", RATE),
    MetricSpec("forks_per_second", "per_second", R, None, "Processes and threads created", RATE),
    MetricSpec(
        "boot_time_seconds", "timestamp", G, None, "Boot time (btime), epoch seconds", EXACT
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    stat = reading(r, "stat", ProcStat)
    if stat is None:
        return
    for name, field in _GAUGES:
        value = getattr(stat, field)
        if value is not None:
            out.append((name, "", value))


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    s0, s1 = reading(prev, "stat", ProcStat), reading(cur, "stat", ProcStat)
    if s0 is None or s1 is None:
        return
    for name, field in _RATES:
        rate = counter_rate(field(s0), field(s1), dt)
        if rate is not None:
            out.append((name, "", rate))


def samples(r: Readings) -> Iterator[Sample]:
    stat = reading(r, "stat", ProcStat)
    if stat is None:
        return
    for field, name, typ, help_ in FIELDS:
        value = getattr(stat, field)
        if value is not None:
            yield node_sample(name, value, typ, help_)
    if stat.softirq_vectors is not None:
        for vector, count in zip(SOFTIRQ_VECTORS, stat.softirq_vectors, strict=False):
            labels = (("vector", vector),)
            yield node_sample("softirqs_total", count, "counter", _SOFTIRQ_HELP, labels)


COLLECTOR: Final = Collector(
    "stat",
    "Boot time, tasks running and blocked, context switches, forks, interrupts, softirqs "
    "(/proc/stat)",
    (STAT,),
    METRICS,
    gauges,
    rates,
    samples,
    (
        NodeName("boot_time_seconds", "node_boot_time_seconds", "Node boot time, in unixtime."),
        NodeName("procs_running", "node_procs_running", "Number of processes in runnable state."),
        NodeName(
            "procs_blocked",
            "node_procs_blocked",
            "Number of processes blocked waiting for I/O to complete.",
        ),
    ),
)
