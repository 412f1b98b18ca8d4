"""hwmon: temperatures of the hardware monitoring chips (/sys/class/hwmon/hwmon*/temp*).

Stored per sensor as `CHIP/SENSOR`: the chip's driver name (coretemp, nvme, k10temp; its
directory, hwmon3, where two chips share a name or a chip has none) and the sensor's label
(Core 0, Composite) or its file name (temp1). node_exporter labels the chip by the device
path behind hwmonN/device, which needs a readlink the probe does not run; here `chip` is
the hwmonN directory and node_hwmon_chip_names maps it to the driver's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final

from parsers import sys_class_hwmon
from parsers.exposition import Sample, node_sample
from parsers.sys_class_hwmon import Chip, Hwmon, Sensor
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import MILLI, G, MetricSpec

# The readings every poll; their names (the chip's driver, the sensors' labels: fixed by
# the driver) and the limits a chip declares (fixed by the driver or the firmware) in the
# slow round's one `head`. The names are held until the next slow round (`Source.held`)
# so that every poll's temperatures carry them: each sysfs file the every-poll `head`
# opens costs the target ~11 µs per poll (bench/README.md, "The fast read's fixed files"),
# and a server's chips have one name and a label per sensor.
HWMON: Final = Source(
    "hwmon",
    sys_class_hwmon.parse,
    globs=("/sys/class/hwmon/hwmon*/temp*_input",),
    optional=True,  # VMs and containers mostly have no hwmon chip
)
HWMON_NAMES: Final = Source(
    "hwmon_names",
    sys_class_hwmon.parse,
    globs=("/sys/class/hwmon/hwmon*/name", "/sys/class/hwmon/hwmon*/temp*_label"),
    slow=True,
    held=True,
    optional=True,
)
HWMON_LIMITS: Final = Source(
    "hwmon_limits",
    sys_class_hwmon.parse,
    globs=("/sys/class/hwmon/hwmon*/temp*_crit", "/sys/class/hwmon/hwmon*/temp*_max"),
    slow=True,
    optional=True,
)
_S: Final = "sensor"
METRICS: Final = (
    MetricSpec("temp_celsius", "celsius", G, _S, "Temperature of a hwmon sensor", MILLI),
    MetricSpec(
        "temp_crit_celsius",
        "celsius",
        G,
        _S,
        "Critical temperature the chip declares",
        MILLI,
        slow=True,
    ),
    MetricSpec(
        "temp_max_celsius",
        "celsius",
        G,
        _S,
        "Maximum temperature the chip declares",
        MILLI,
        slow=True,
    ),
)


def chips(r: Readings) -> Hwmon | None:
    """The every-poll temperatures with the held names and labels, and the slow round's
    limits when this snapshot has them, joined as one reading of every file would give
    them: chips in the order of their name files, then the others; a chip's sensors in
    the order of their inputs, then those with a label only. Limits need a sensor to name
    them by; None without temperatures or names."""
    hw, names = reading(r, "hwmon", Hwmon), reading(r, "hwmon_names", Hwmon)
    limits = reading(r, "hwmon_limits", Hwmon)
    if hw is None and names is None:
        return None
    temps = hw.chips if hw is not None else {}
    named = names.chips if names is not None else {}
    lims = limits.chips if limits is not None else {}
    joined = {}
    for chip in dict.fromkeys((*named, *temps)):
        t, n, lim = (x.get(chip, Chip()).sensors for x in (temps, named, lims))
        sensors = {
            name: Sensor(
                n.get(name, Sensor()).label,
                t.get(name, Sensor()).celsius,
                lim.get(name, Sensor()).crit_celsius,
                lim.get(name, Sensor()).max_celsius,
            )
            for name in dict.fromkeys((*t, *n))
        }
        joined[chip] = Chip(named.get(chip, Chip()).name, sensors)
    return Hwmon(joined)


def sensor_names(hw: Hwmon) -> dict[tuple[str, str], str]:
    """(chip dir, sensor) -> `CHIP/SENSOR` as stored: readable, and unique per host. A chip
    whose sensors share a label (node_exporter's fixture has two "foosensor") keeps the
    sensors' file names."""
    counts = Counter(c.name for c in hw.chips.values())
    out = {}
    for chip, c in hw.chips.items():
        shown = c.name if c.name and counts[c.name] == 1 else f"{c.name or ''} {chip}".strip()
        labels = Counter(s.label for s in c.sensors.values())
        for sensor, s in c.sensors.items():
            unique = s.label is not None and labels[s.label] == 1
            out[(chip, sensor)] = f"{shown}/{s.label if unique else sensor}"
    return out


def gauges(r: Readings, out: list[Triple]) -> None:
    hw = chips(r)
    if hw is None:
        return
    names = sensor_names(hw)
    for chip, c in hw.chips.items():
        for sensor, s in c.sensors.items():
            dev = names[(chip, sensor)]
            for metric, value in (
                ("temp_celsius", s.celsius),
                ("temp_crit_celsius", s.crit_celsius),
                ("temp_max_celsius", s.max_celsius),
            ):
                if value is not None:
                    out.append((metric, dev, value))


def samples(r: Readings) -> Iterator[Sample]:
    hw = chips(r)
    if hw is None:
        return
    for chip, c in hw.chips.items():
        if c.name is not None:
            labels = (("chip", chip), ("chip_name", c.name))
            yield node_sample("hwmon_chip_names", 1, "gauge", _HELP_CHIP, labels)
        for sensor, s in c.sensors.items():
            labels = (("chip", chip), ("sensor", sensor))
            if s.label is not None:
                lab = (("chip", chip), ("label", s.label), ("sensor", sensor))
                yield node_sample("hwmon_sensor_label", 1, "gauge", _HELP_LABEL, lab)
            for name, value, help_ in (
                ("temp_celsius", s.celsius, "Hardware monitor for temperature (input)"),
                ("temp_crit_celsius", s.crit_celsius, "Hardware monitor for temperature (crit)"),
                ("temp_max_celsius", s.max_celsius, "Hardware monitor for temperature (max)"),
            ):
                if value is not None:
                    yield node_sample(f"hwmon_{name}", value, "gauge", help_, labels)


_HELP_CHIP: Final = "Annotation metric for human-readable chip names"
_HELP_LABEL: Final = "Label for given chip and sensor"

COLLECTOR: Final = Collector(
    "hwmon",
    "Temperatures of hardware monitoring chips (/sys/class/hwmon/hwmon*/temp*)",
    (HWMON, HWMON_NAMES, HWMON_LIMITS),
    METRICS,
    gauges,
    None,
    samples,
)
