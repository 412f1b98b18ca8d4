"""conntrack: netfilter connection tracking table use and size
(/proc/sys/net/netfilter/nf_conntrack_{count,max}).

Stored, because a full table drops new connections ("nf_conntrack: table full, dropping
packet"), which is worth an alert at some share of the limit. Optional: the files exist
only while the nf_conntrack module is loaded, and a host without it is "unavailable".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_sys_value
from parsers.exposition import Sample, node_sample
from parsers.proc_sys_value import SysValue
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, G, MetricSpec, P

_DIR: Final = "/proc/sys/net/netfilter"
# the limit is a setting (sysctl), read in the slow round's one `head` and held until the
# next (`Source.held`, ~7 µs less per poll on the target): the limit and the share of it
# are still derived and stored at every poll
SOURCES: Final = (
    Source("nf_conntrack_count", proc_sys_value.parser(f"{_DIR}/nf_conntrack_count"),
           path=f"{_DIR}/nf_conntrack_count", optional=True),
    Source("nf_conntrack_max", proc_sys_value.parser(f"{_DIR}/nf_conntrack_max"),
           path=f"{_DIR}/nf_conntrack_max", optional=True, slow=True, held=True),
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
)  # fmt: skip


def gauges(r: Readings, out: list[Triple]) -> None:
    count = reading(r, "nf_conntrack_count", SysValue)
    limit = reading(r, "nf_conntrack_max", SysValue)
    if count is not None:
        out.append(("conntrack_entries", "", count.value))
    if limit is not None:
        out.append(("conntrack_limit", "", limit.value))
        if count is not None and limit.value > 0:
            out.append(("conntrack_used_percent", "", count.value * 100.0 / limit.value))


def samples(r: Readings) -> Iterator[Sample]:
    count = reading(r, "nf_conntrack_count", SysValue)
    limit = reading(r, "nf_conntrack_max", SysValue)
    if count is not None:
        yield node_sample("nf_conntrack_entries", count.value, "gauge", _HELP_ENTRIES)
    if limit is not None:
        yield node_sample("nf_conntrack_entries_limit", limit.value, "gauge", _HELP_LIMIT)


COLLECTOR: Final = Collector(
    "conntrack",
    "Connection tracking table (/proc/sys/net/netfilter/nf_conntrack_{count,max})",
    SOURCES,
    METRICS,
    gauges,
    None,
    samples,
    (
        NodeName("conntrack_entries", "node_nf_conntrack_entries", _HELP_ENTRIES),
        NodeName("conntrack_limit", "node_nf_conntrack_entries_limit", _HELP_LIMIT),
    ),
)
