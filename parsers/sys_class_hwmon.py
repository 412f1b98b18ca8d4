"""Parse /sys/class/hwmon/hwmon*/{name,temp*_input,temp*_label,temp*_crit,temp*_max}.

Older drivers put the temp* files on the chip's device instead (hwmon*/device/temp*_…,
as node_exporter reads them too), and a thermal zone's device, which an acpitz chip has,
holds its own `temp`: node_exporter reads that one as the sensor temp0, and so does this.
Where a sensor has files in both places the device's come last and win, as there.

Temperatures are in millidegrees Celsius (Documentation/hwmon/sysfs-interface.rst) and
become °C by a division by 1000: a millidegree is the resolution the interface has, so
three decimals hold every value exactly. A sensor whose read fails (the probe's reader
then prints an empty body: EIO, ENODATA from a sleeping drive, EAGAIN) has no value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files
from parsers.numbers import bounded_int

SOURCE: Final = "/sys/class/hwmon"
MILLI: Final = 1000  # sysfs temperatures are millidegrees Celsius
_PATH: Final = re.compile(
    r"/sys/class/hwmon/(hwmon\d+)/(?:name|(?:device/)?(temp\d+)_(input|label|crit|max)|device/(temp))"
)


@dataclass(frozen=True, slots=True)
class Sensor:
    """One temp* sensor of a chip: °C values (None when absent or unreadable)."""

    # the label file's text without its newlines, as node_exporter's sensor_label has it
    # (" Core 0 " keeps its spaces); None without one
    label: str | None = None
    celsius: float | None = None
    crit_celsius: float | None = None
    max_celsius: float | None = None


@dataclass(frozen=True, slots=True)
class Chip:
    name: str | None = None  # the driver's name file (coretemp, nvme, k10temp, acpitz)
    sensors: dict[str, Sensor] = field(default_factory=dict)  # by sensor (temp1)
    # where hwmonN/device resolves (parsers/sys_class_hwmon_device.py); None: no device
    # or not read
    device: str | None = None


@dataclass(frozen=True, slots=True)
class Hwmon:
    """Parsed hwmon temperatures by chip directory (hwmon0, …) in the target's order."""

    chips: Mapping[str, Chip]


def parse(text: str) -> Hwmon:
    names: dict[str, str | None] = {}
    sensors: dict[str, dict[str, dict[str, str]]] = {}
    for path, body in tail_files(text):
        m = _PATH.fullmatch(path)
        if m is None:
            raise ParseError(SOURCE, "not a hwmon name or temp* file", path)
        chip, sensor, attr, zone_temp = m.groups()
        if zone_temp is not None:
            sensor, attr = "temp0", "input"  # the thermal zone's `temp`: temp0, as node_exporter
        value = body.rstrip("\n")
        if sensor is None:
            names[chip] = value.strip() or None
            continue
        sensors.setdefault(chip, {}).setdefault(sensor, {})
        # an empty body is a read that failed (or an empty file): no value; a label of
        # spaces is still node_exporter's label
        if value.strip("\n") if attr == "label" else value.strip():
            sensors[chip][sensor][attr] = value
    chips = {}
    for chip in dict.fromkeys((*names, *sensors)):
        chips[chip] = Chip(
            names.get(chip),
            {s: _sensor(attrs, f"{chip}/{s}") for s, attrs in sensors.get(chip, {}).items()},
        )
    return Hwmon(chips)


def _sensor(attrs: dict[str, str], where: str) -> Sensor:
    return Sensor(
        attrs.get("label", "").strip("\n") or None,
        *(_celsius(attrs.get(a), where) for a in ("input", "crit", "max")),
    )


def _celsius(text: str | None, where: str) -> float | None:
    if text is None:
        return None
    return bounded_int(text.strip(), SOURCE, f"{where}: {text}") / MILLI
