"""softnet: per-cpu packet processing in the network receive softirq (/proc/net/softnet_stat).

Stored host-wide as rates: `dropped` counts packets lost because a cpu's input backlog
was full (raise net.core.netdev_max_backlog), `times_squeezed` the runs of net_rx_action
that left work for later (net.core.netdev_budget): both are worth an alert at any steady
non-zero rate. Per cpu only on /metrics.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final

from parsers import proc_net_softnet_stat
from parsers.exposition import Sample, node_sample
from parsers.proc_net_softnet_stat import Softnet, SoftnetCpu
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import RATE, MetricSpec, R

SOFTNET: Final = Source("softnet_stat", proc_net_softnet_stat.parse, path="/proc/net/softnet_stat")

# (SoftnetCpu field, node_exporter name after node_softnet_, HELP)
FIELDS: Final = (
    ("dropped", "dropped_total", "Number of dropped packets"),
    ("processed", "processed_total", "Number of processed packets"),
    ("times_squeezed", "times_squeezed_total",
     "Number of times processing packets ran out of quota"),
)  # fmt: skip
_RATES: Final = (
    ("softnet_dropped_per_second", SoftnetCpu._fields.index("dropped")),
    ("softnet_times_squeezed_per_second", SoftnetCpu._fields.index("times_squeezed")),
)
# precision: 4 significant digits, as every rate (a counter delta over the uptime delta,
# which is known to +-0.1 % at a 10 s poll; poller/metric_spec.py)
METRICS: Final = (
    MetricSpec("softnet_dropped_per_second", "per_second", R, None,
               "Packets dropped for a full cpu input backlog (softnet_stat)", RATE),
    MetricSpec("softnet_times_squeezed_per_second", "per_second", R, None,
               "Receive softirq runs out of budget with packets left (softnet_stat)", RATE),
)  # fmt: skip


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    s0, s1 = reading(prev, "softnet_stat", Softnet), reading(cur, "softnet_stat", Softnet)
    if s0 is None or s1 is None:
        return
    for name, column in _RATES:
        delta = _summed_delta(s0.cpus, s1.cpus, column)
        if delta is not None:
            out.append((name, "", delta / dt))


def _summed_delta(
    before: Mapping[str, SoftnetCpu], after: Mapping[str, SoftnetCpu], column: int
) -> int | None:
    """The increase over the cpus on both sides; None when one went down: the columns are
    32-bit and wrap, and a wrapped cpu's increase is unknown, so no rate beats a wrong one.
    A cpu on one side only (hotplug) is left out."""
    total = 0
    for cpu, row in after.items():
        old = before.get(cpu)
        if old is None:
            continue
        if row[column] < old[column]:
            return None
        total += row[column] - old[column]
    return total


def samples(r: Readings) -> Iterator[Sample]:
    softnet = reading(r, "softnet_stat", Softnet)
    if softnet is None:
        return
    for field, name, help_ in FIELDS:
        for cpu, row in softnet.cpus.items():
            value = getattr(row, field)
            yield node_sample(f"softnet_{name}", value, "counter", help_, (("cpu", cpu),))


COLLECTOR: Final = Collector(
    "softnet",
    "Network receive softirq per cpu: processed, dropped, squeezed (/proc/net/softnet_stat)",
    (SOFTNET,),
    METRICS,
    None,
    rates,
    samples,
)
