"""vmstat: paging, swapping, major faults and OOM kills (/proc/vmstat)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_vmstat
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.exposition_filters import VMSTAT_FIELDS
from parsers.proc_vmstat import Vmstat
from poller.collectors.base import Collector, Readings, Source, Triple, counter_rate, reading
from poller.metric_spec import RATE, MetricSpec, R

VMSTAT: Final = Source("vmstat", proc_vmstat.parse, path="/proc/vmstat")

_RATES: Final = (
    ("swap_in_pages_per_second", "pswpin"),
    ("swap_out_pages_per_second", "pswpout"),
    ("major_faults_per_second", "pgmajfault"),
    ("oom_kills_per_second", "oom_kill"),
)
METRICS: Final = (
    MetricSpec(
        "swap_in_pages_per_second", "per_second", R, None, "Pages swapped in (pswpin)", RATE
    ),
    MetricSpec(
        "swap_out_pages_per_second", "per_second", R, None, "Pages swapped out (pswpout)", RATE
    ),
    MetricSpec(
        "major_faults_per_second",
        "per_second",
        R,
        None,
        "Page faults that needed I/O (pgmajfault)",
        RATE,
    ),
    MetricSpec(
        "oom_kills_per_second",
        "per_second",
        R,
        None,
        "Processes killed by the OOM killer (oom_kill, 4.13+); > 0 means a kill",
        RATE,
    ),
)


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    v0, v1 = reading(prev, "vmstat", Vmstat), reading(cur, "vmstat", Vmstat)
    if v0 is None or v1 is None:
        return
    for name, key in _RATES:
        rate = counter_rate(v0.get(key), v1.get(key), dt)
        if rate is not None:
            out.append((name, "", rate))


def samples(r: Readings) -> Iterator[Sample]:
    vm = reading(r, "vmstat", Vmstat)
    if vm is None:
        return
    for k, v in vm.values.items():
        if VMSTAT_FIELDS.match(k) and METRIC_NAME.fullmatch(k):
            yield node_sample(f"vmstat_{k}", v, "untyped", f"/proc/vmstat information field {k}.")


COLLECTOR: Final = Collector(
    "vmstat", "Paging and OOM kills (/proc/vmstat)", (VMSTAT,), METRICS, None, rates, samples
)
