"""thermal_zone: ACPI and SoC thermal zone temperatures (/sys/class/thermal/thermal_zone*).

Stored per zone as `TYPE/ZONE` (x86_pkg_temp/0, acpitz/1): the type names the sensor, the
number keeps two zones of one type apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_class_thermal
from parsers.exposition import Sample, node_sample
from parsers.sys_class_thermal import Thermal, Zone
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import MILLI, G, MetricSpec

# the temperature every poll; the zone's type (fixed by the driver) in the slow round's
# one `head`, held until the next (`Source.held`) so every poll's reading carries it:
# each sysfs file the every-poll `head` opens costs the target ~11 µs per poll
THERMAL: Final = Source(
    "thermal",
    sys_class_thermal.parse,
    globs=("/sys/class/thermal/thermal_zone*/temp",),
    optional=True,  # VMs and containers mostly have no thermal zone
)
THERMAL_TYPES: Final = Source(
    "thermal_types",
    sys_class_thermal.parse,
    globs=("/sys/class/thermal/thermal_zone*/type",),
    slow=True,
    held=True,
    optional=True,
)
METRICS: Final = (
    MetricSpec(
        "thermal_zone_celsius", "celsius", G, "sensor", "Temperature of a thermal zone", MILLI
    ),
)


def zones(r: Readings) -> dict[str, Zone] | None:
    """The every-poll temperatures with the held types, in zone order as one read of both
    files would give them (types first: a zone whose temp cannot be read keeps its type);
    None without either."""
    temps, types = reading(r, "thermal", Thermal), reading(r, "thermal_types", Thermal)
    if temps is None and types is None:
        return None
    t = temps.zones if temps is not None else {}
    n = types.zones if types is not None else {}
    return {
        z: Zone(n.get(z, Zone()).type, t.get(z, Zone()).celsius) for z in dict.fromkeys((*n, *t))
    }


def gauges(r: Readings, out: list[Triple]) -> None:
    for zone, z in (zones(r) or {}).items():
        if z.celsius is not None:
            out.append(("thermal_zone_celsius", f"{z.type or 'zone'}/{zone}", z.celsius))


def samples(r: Readings) -> Iterator[Sample]:
    for zone, z in (zones(r) or {}).items():
        if z.celsius is not None and z.type is not None:
            labels = (("type", z.type), ("zone", zone))
            yield node_sample("thermal_zone_temp", z.celsius, "gauge", _HELP, labels)


_HELP: Final = "Zone temperature in Celsius"

COLLECTOR: Final = Collector(
    "thermal_zone",
    "Thermal zone temperatures (/sys/class/thermal/thermal_zone*)",
    (THERMAL, THERMAL_TYPES),
    METRICS,
    gauges,
    None,
    samples,
)
