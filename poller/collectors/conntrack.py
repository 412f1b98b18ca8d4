"""conntrack: netfilter connection tracking table use and size
(/proc/sys/net/netfilter/nf_conntrack_{count,max}) and its event counters
(/proc/net/stat/nf_conntrack).

Stored, because a full table drops new connections ("nf_conntrack: table full, dropping
packet"), which is worth an alert at some share of the limit; and the rates of the three
counters that say packets or connections were lost: `drop` (a packet dropped because
tracking failed), `early_drop` (an entry evicted to make room: the table was full) and
`insert_failed` (the insert race that drops the first packets of NATed connections on
busy Kubernetes nodes). All eight columns node_exporter exports are on /metrics, summed
over the cpus as node_exporter sums them; `search_restart` only where the kernel prints
it (4.x+: node_exporter prints 0 on older ones, sshmon nothing).

Optional: the files exist only while the nf_conntrack module is loaded, and a host
without it is "unavailable". The counters are read at every poll, in the one `tail`, as
softnet_stat is: one small file (a header and a row per cpu), and a drop is worth knowing
within a poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_stat_nf_conntrack, proc_sys_value
from parsers.exposition import Sample, node_sample
from parsers.proc_net_stat_nf_conntrack import ConntrackStat
from parsers.proc_sys_value import SysValue
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, RATE, G, MetricSpec, P, R

_DIR: Final = "/proc/sys/net/netfilter"
# the limit is a setting (sysctl), read in the slow round's one `head` and held until the
# next (`Source.held`, ~7 µs less per poll on the target): the limit and the share of it
# are still derived and stored at every poll
SOURCES: Final = (
    Source("nf_conntrack_count", proc_sys_value.parser(f"{_DIR}/nf_conntrack_count"),
           path=f"{_DIR}/nf_conntrack_count", optional=True),
    Source("nf_conntrack_max", proc_sys_value.parser(f"{_DIR}/nf_conntrack_max"),
           path=f"{_DIR}/nf_conntrack_max", optional=True, slow=True, held=True),
    Source("nf_conntrack_stat", proc_net_stat_nf_conntrack.parse,
           path=proc_net_stat_nf_conntrack.SOURCE, optional=True),
)  # fmt: skip
_HELP_ENTRIES: Final = "Number of currently allocated flow entries for connection tracking."
_HELP_LIMIT: Final = "Maximum size of connection tracking table."

# precision (poller/metric_spec.py): the counts as the kernel printed them; the share of the
# limit to 0.01 points, like every percentage
METRICS: Final = (
    MetricSpec("conntrack_entries", "count", G, None, "Tracked connections (nf_conntrack_count)",
               EXACT),
    MetricSpec("conntrack_limit", "count", G, None, "Connection tracking table size "
               "(nf_conntrack_max)", EXACT),
    MetricSpec("conntrack_used_percent", P, P, None, "conntrack_entries / conntrack_limit", PCT),
    # precision: 4 significant digits, as every rate (poller/metric_spec.py)
    MetricSpec("conntrack_drops_per_second", "per_second", R, None,
               "Packets dropped because connection tracking failed (nf_conntrack drop)", RATE),
    MetricSpec("conntrack_early_drops_per_second", "per_second", R, None,
               "Entries evicted to make room in a full table (nf_conntrack early_drop)", RATE),
    MetricSpec("conntrack_insert_failed_per_second", "per_second", R, None,
               "Entries whose insertion into the table failed (nf_conntrack insert_failed)",
               RATE),
)  # fmt: skip
# (stored metric, counter column) of the rates
_RATES: Final = (
    ("conntrack_drops_per_second", "drop"),
    ("conntrack_early_drops_per_second", "early_drop"),
    ("conntrack_insert_failed_per_second", "insert_failed"),
)
# node_exporter 1.5's HELP of node_nf_conntrack_stat_<column> (it types them as gauges)
_STAT_HELP: Final = {
    "found": "Number of searched entries which were successful.",
    "invalid": "Number of packets seen which can not be tracked.",
    "ignore": "Number of packets seen which are already connected to a conntrack entry.",
    "insert": "Number of entries inserted into the list.",
    "insert_failed": "Number of entries for which list insertion was attempted but failed.",
    "drop": "Number of packets dropped due to conntrack failure.",
    "early_drop": "Number of dropped conntrack entries to make room for new ones, if maximum "
    "table size was reached.",
    "search_restart": "Number of conntrack table lookups which had to be restarted due to "
    "hashtable resizes.",
}


def gauges(r: Readings, out: list[Triple]) -> None:
    count = reading(r, "nf_conntrack_count", SysValue)
    limit = reading(r, "nf_conntrack_max", SysValue)
    if count is not None:
        out.append(("conntrack_entries", "", count.value))
    if limit is not None:
        out.append(("conntrack_limit", "", limit.value))
        if count is not None and limit.value > 0:
            out.append(("conntrack_used_percent", "", count.value * 100.0 / limit.value))


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    s0 = reading(prev, "nf_conntrack_stat", ConntrackStat)
    s1 = reading(cur, "nf_conntrack_stat", ConntrackStat)
    if s0 is None or s1 is None or s0.columns != s1.columns or len(s0.cpus) != len(s1.cpus):
        return  # a module reloaded or another kernel: no common counters to subtract
    for name, column in _RATES:
        if column in s1.columns:
            delta = _summed_delta(s0, s1, s1.columns.index(column))
            if delta is not None:
                out.append((name, "", delta / dt))


def _summed_delta(before: ConntrackStat, after: ConntrackStat, at: int) -> int | None:
    """The increase summed over the cpus; None when a cpu's 32-bit counter went down
    (wrapped, or the module was reloaded): its increase is unknown, and no rate beats a
    wrong one."""
    total = 0
    for old, new in zip(before.cpus, after.cpus, strict=True):
        if new[at] < old[at]:
            return None
        total += new[at] - old[at]
    return total


def samples(r: Readings) -> Iterator[Sample]:
    count = reading(r, "nf_conntrack_count", SysValue)
    limit = reading(r, "nf_conntrack_max", SysValue)
    stat = reading(r, "nf_conntrack_stat", ConntrackStat)
    if count is not None:
        yield node_sample("nf_conntrack_entries", count.value, "gauge", _HELP_ENTRIES)
    if limit is not None:
        yield node_sample("nf_conntrack_entries_limit", limit.value, "gauge", _HELP_LIMIT)
    if stat is not None:
        for column in stat.columns:
            if (total := stat.total(column)) is not None:
                yield node_sample(
                    f"nf_conntrack_stat_{column}", total, "gauge", _STAT_HELP[column]
                )


COLLECTOR: Final = Collector(
    "conntrack",
    "Connection tracking table and its drops (/proc/sys/net/netfilter/nf_conntrack_{count,max}, "
    "/proc/net/stat/nf_conntrack)",
    SOURCES,
    METRICS,
    gauges,
    rates,
    samples,
    (
        NodeName("conntrack_entries", "node_nf_conntrack_entries", _HELP_ENTRIES),
        NodeName("conntrack_limit", "node_nf_conntrack_entries_limit", _HELP_LIMIT),
    ),
)
