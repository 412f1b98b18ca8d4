"""loadavg: the 1/5/15-minute load averages, also per online cpu (/proc/loadavg)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_loadavg
from parsers.exposition import Sample, node_sample
from parsers.proc_loadavg import LoadAvg
from parsers.proc_stat import ProcStat
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import DERIVED, EXACT, G, MetricSpec

LOADAVG: Final = Source("loadavg", proc_loadavg.parse, path="/proc/loadavg")

METRICS: Final = (
    MetricSpec("load1", "load", G, None, "1-minute load average", EXACT),
    MetricSpec("load5", "load", G, None, "5-minute load average", EXACT),
    MetricSpec("load15", "load", G, None, "15-minute load average", EXACT),
    MetricSpec("load1_per_core", "ratio", G, None, "1-minute load average / online cpus", DERIVED),
    MetricSpec("load5_per_core", "ratio", G, None, "5-minute load average / online cpus", DERIVED),
    MetricSpec(
        "load15_per_core", "ratio", G, None, "15-minute load average / online cpus", DERIVED
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    load = reading(r, "loadavg", LoadAvg)
    if load is None:
        return
    # the cpus come from /proc/stat (the cpu collector's section): without it, no per-core
    stat = reading(r, "stat", ProcStat)
    ncpu = len(stat.cpus) if stat is not None else 0
    for name, value in (("load1", load.load1), ("load5", load.load5), ("load15", load.load15)):
        out.append((name, "", value))
        if ncpu:
            out.append((f"{name}_per_core", "", value / ncpu))


def samples(r: Readings) -> Iterator[Sample]:
    load = reading(r, "loadavg", LoadAvg)
    if load is not None:
        for n, v in ((1, load.load1), (5, load.load5), (15, load.load15)):
            yield node_sample(f"load{n}", v, "gauge", f"{n}m load average.")


COLLECTOR: Final = Collector(
    "loadavg",
    "Load averages (/proc/loadavg)",
    (LOADAVG,),
    METRICS,
    gauges,
    None,
    samples,
    tuple(NodeName(f"load{n}", f"node_load{n}", f"{n}m load average.") for n in (1, 5, 15)),
)
