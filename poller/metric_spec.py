"""The shape of one catalog row, and the precisions stored metrics use.

Split from poller/catalog.py so collectors (poller/collectors/) can declare their rows
without importing the catalog that is assembled from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from poller.precision import Precision, decimals, exact, significant

Unit = Literal[
    "percent",
    "bytes",
    "bytes_per_second",
    "per_second",
    "seconds",
    "timestamp",  # seconds since the epoch, UTC (shown as a date, not a duration)
    "count",
    "ratio",
    "load",
    "celsius",  # degrees Celsius (temperatures)
]
Kind = Literal["gauge", "rate", "percent"]
DevLabel = Literal[
    "device", "interface", "mountpoint", "cpu", "service", "container", "state", "sensor"
]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One stored metric. kind: 'gauge' is read as is, 'rate' is a counter delta per
    second between two polls, 'percent' is a share (0-100) computed from one or two polls."""

    name: str
    unit: Unit
    kind: Kind
    dev: DevLabel | None
    description: str
    precision: Precision
    slow: bool = False


# Precision per metric, and why (bench/README.md has the bytes each choice costs):
# - exact: what the kernel printed, as it printed it. Epoch timestamps (4 significant
#   digits moved a boot time by 15 hours), counts, byte sizes (kB-granular integers),
#   uptime (10 ms ticks) and load averages (printed with 2 decimals). They repeat or move
#   slowly, so keeping every bit costs little.
# - rates, 4 significant digits: a rate is a counter delta over the target's uptime delta,
#   and uptime ticks in 10 ms, so at a 10 s poll the interval is known to +-0.1 %; rounding
#   at the 4th significant digit (at most 0.05 %) stays below that error.
# - derived gauges (await, queue depth, load per core), 4 significant digits: means of
#   ms-resolution kernel counters over one interval, worth about as many digits as a rate;
#   relative precision, so a 0.46 ms await stays 0.46 ms where 2 decimals made it 0.
# - percentages, 0.01 points: a share on a bounded 0-100 scale; at a 10 s poll one jiffy of
#   one cpu is 0.1 point, and no threshold or chart reads below 0.01.
# - temperatures, 3 decimals: sysfs gives integer millidegrees, so a step of 0.001 °C keeps
#   every value the kernel can print exactly (and no more digits than it has).
EXACT: Final = exact()
RATE: Final = significant(4)
DERIVED: Final = significant(4)
PCT: Final = decimals(2)
MILLI: Final = decimals(3)

P: Final = "percent"
G: Final = "gauge"
R: Final = "rate"
