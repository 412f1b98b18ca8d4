"""thermal_zone: ACPI and SoC thermal zone temperatures (/sys/class/thermal/thermal_zone*).

Stored per zone as `TYPE/ZONE` (x86_pkg_temp/0, acpitz/1): the type names the sensor, the
number keeps two zones of one type apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_class_thermal
from parsers.exposition import Sample, node_sample
from parsers.sys_class_thermal import Thermal
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import MILLI, G, MetricSpec

THERMAL: Final = Source(
    "thermal",
    sys_class_thermal.parse,
    globs=("/sys/class/thermal/thermal_zone*/type", "/sys/class/thermal/thermal_zone*/temp"),
    optional=True,  # VMs and containers mostly have no thermal zone
)
METRICS: Final = (
    MetricSpec(
        "thermal_zone_celsius", "celsius", G, "sensor", "Temperature of a thermal zone", MILLI
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    th = reading(r, "thermal", Thermal)
    if th is None:
        return
    for zone, z in th.zones.items():
        if z.celsius is not None:
            out.append(("thermal_zone_celsius", f"{z.type or 'zone'}/{zone}", z.celsius))


def samples(r: Readings) -> Iterator[Sample]:
    th = reading(r, "thermal", Thermal)
    if th is None:
        return
    for zone, z in th.zones.items():
        if z.celsius is not None and z.type is not None:
            labels = (("type", z.type), ("zone", zone))
            yield node_sample("thermal_zone_temp", z.celsius, "gauge", _HELP, labels)


_HELP: Final = "Zone temperature in Celsius"

COLLECTOR: Final = Collector(
    "thermal_zone",
    "Thermal zone temperatures (/sys/class/thermal/thermal_zone*)",
    (THERMAL,),
    METRICS,
    gauges,
    None,
    samples,
)
