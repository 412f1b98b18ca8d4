"""uptime: time since boot (/proc/uptime), also the clock every rate is measured with.

Derivation uses the target's uptime as the interval between two polls (poller/derive.py);
with this collector off the poller's own timestamps are used instead.
"""

from __future__ import annotations

from typing import Final

from parsers import proc_uptime
from parsers.proc_uptime import Uptime
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

UPTIME: Final = Source("uptime", proc_uptime.parse, path="/proc/uptime")

METRICS: Final = (
    MetricSpec("uptime_seconds", "seconds", G, None, "Time since boot (/proc/uptime)", EXACT),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    uptime = reading(r, "uptime", Uptime)
    if uptime is not None:
        out.append(("uptime_seconds", "", uptime.uptime_seconds))


# node_exporter has no family of its own for uptime (it exports node_boot_time_seconds)
COLLECTOR: Final = Collector(
    "uptime", "Time since boot (/proc/uptime)", (UPTIME,), METRICS, gauges, None, None
)
