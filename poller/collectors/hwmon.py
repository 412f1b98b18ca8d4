"""hwmon: temperatures of the hardware monitoring chips (/sys/class/hwmon/hwmon*/temp*).

Stored per sensor as `CHIP/SENSOR`: the chip's driver name (coretemp, nvme, k10temp), and
the sensor's label (Core 0, Composite) or its file name (temp1). Where two chips share a
name (two nvme drives), CHIP adds to it the stable name node_exporter gives the chip, from
the device it belongs to (`nvme nvme_nvme1`); a chip without a name is that name alone
(`platform_it87_2608`). hwmonN only where a chip has no device either: hwmonN counts the
drivers in the order they registered, which can change at a reboot. /metrics and
`sshmon replay` label the chip as node_exporter does (`node_chip`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Final

from parsers import sys_class_hwmon, sys_class_hwmon_device
from parsers.exposition import Sample, node_sample
from parsers.sys_class_hwmon import Chip, Hwmon, Sensor
from poller.collectors.base import Collector, Readings, Source, Triple, links_command, reading
from poller.metric_spec import MILLI, G, MetricSpec

_DIR: Final = "/sys/class/hwmon/hwmon*"
# The readings every poll; their names (the chip's driver, the sensors' labels: fixed by
# the driver) and the limits a chip declares (fixed by the driver or the firmware) in the
# slow round's one `head`. The names are held until the next slow round (`Source.held`)
# so that every poll's temperatures carry them: each sysfs file the every-poll `head`
# opens costs the target ~11 µs per poll (bench/README.md, "The fast read's fixed files"),
# and a server's chips have one name and a label per sensor. Each slow glob's second half
# reads the files older drivers (applesmc, kernels before the hwmon rework) put on the
# chip's device, as node_exporter reads both places.
HWMON: Final = Source(
    "hwmon",
    sys_class_hwmon.parse,
    globs=(f"{_DIR}/temp*_input",),
    optional=True,  # VMs and containers mostly have no hwmon chip
)
# Their temperatures on the device, and the `temp` of a thermal zone an acpitz chip belongs
# to (node_exporter's temp0): read every poll only on a host where they are there
# (`Source.sparse`), since listing every chip's device directory at every poll would cost
# the others ~19 µs a chip (poller/probe.py SPARSE_CHECK).
HWMON_ON_DEVICE: Final = Source(
    "hwmon_on_device",
    sys_class_hwmon.parse,
    globs=(f"{_DIR}/device/temp*_input", f"{_DIR}/device/temp"),
    optional=True,
    sparse=True,
)
HWMON_NAMES: Final = Source(
    "hwmon_names",
    sys_class_hwmon.parse,
    globs=(f"{_DIR}/name", f"{_DIR}/temp*_label", f"{_DIR}/device/temp*_label"),
    slow=True,
    held=True,
    optional=True,
)
HWMON_LIMITS: Final = Source(
    "hwmon_limits",
    sys_class_hwmon.parse,
    globs=(
        f"{_DIR}/temp*_crit",
        f"{_DIR}/temp*_max",
        f"{_DIR}/device/temp*_crit",
        f"{_DIR}/device/temp*_max",
    ),
    slow=True,
    optional=True,
)
# Where each chip's `device` link leads, the stable name of the chip: resolved by the
# shell's own `cd -P` at the slow round (no process) and held like the names.
_DEVICE: Final = f"{_DIR}/device"
HWMON_DEVICES: Final = Source(
    "hwmon_devices",
    sys_class_hwmon_device.parse,
    command=links_command(_DEVICE),
    links=_DEVICE,
    slow=True,
    held=True,
    optional=True,
)
_S: Final = "sensor"
METRICS: Final = (
    MetricSpec(
        "temp_celsius",
        "celsius",
        G,
        _S,
        "Temperature of a hwmon sensor (dev: the chip's driver and the sensor's label, "
        "coretemp/Core 0; chips of one driver add their device, nvme nvme_nvme1/Composite)",
        MILLI,
    ),
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
    """The every-poll temperatures with the held names, labels and devices, and the slow
    round's limits when this snapshot has them, joined as one reading of every file would
    give them: chips in the order of their name files, then the others; a chip's sensors
    in the order of their inputs, then those with a label only. Limits need a sensor to
    name them by; None without temperatures or names."""
    hw, names = reading(r, "hwmon", Hwmon), reading(r, "hwmon_names", Hwmon)
    limits, devices = reading(r, "hwmon_limits", Hwmon), reading(r, "hwmon_devices", Hwmon)
    on_device = reading(r, "hwmon_on_device", Hwmon)
    if hw is None and names is None and on_device is None:
        return None
    temps = _on_device_last(hw, on_device)
    named = names.chips if names is not None else {}
    lims = limits.chips if limits is not None else {}
    devs = devices.chips if devices is not None else {}
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
        joined[chip] = Chip(named.get(chip, Chip()).name, sensors, devs.get(chip, Chip()).device)
    return Hwmon(joined)


def _on_device_last(hw: Hwmon | None, on_device: Hwmon | None) -> Mapping[str, Chip]:
    """The chips' own temperatures, then those on their devices, which win where a sensor
    has both (node_exporter reads the device's files last)."""
    own = hw.chips if hw is not None else {}
    if on_device is None:
        return own
    out = dict(own)
    for chip, c in on_device.chips.items():
        out[chip] = Chip(None, {**out.get(chip, Chip()).sensors, **c.sensors})
    return out


_INVALID: Final = re.compile(r"[^a-z0-9:_]")


def clean(name: str) -> str:
    """node_exporter's cleanMetricName (hwmon_linux.go): lower case, every character but
    [a-z0-9:_] an underscore, underscores trimmed from both ends."""
    return _INVALID.sub("_", name.lower()).strip("_")


def device_chip(c: Chip) -> str | None:
    """node_exporter's name for a chip by its device (hwmonName, preference 1): the last
    two elements of the resolved path, cleaned (`/sys/devices/platform/coretemp.0`:
    platform_coretemp_0; `…/0000:3d:00.0/nvme/nvme0`: nvme_nvme0), the last alone where
    the one before cleans to nothing; None without a device."""
    if c.device is None:
        return None
    prefix, _, dev_name = c.device.rpartition("/")
    dev_type = clean(prefix.rstrip("/").rpartition("/")[2])
    dev_name = clean(dev_name)
    if dev_type and dev_name:
        return f"{dev_type}_{dev_name}"
    return dev_name or None


def node_chip(chip: str, c: Chip) -> str:
    """node_exporter's `chip` label (hwmonName): by the chip's device (stable across
    reboots), else its cleaned name file, else its hwmonN directory."""
    return device_chip(c) or clean(c.name or "") or chip


def sensor_names(hw: Hwmon) -> dict[tuple[str, str], str]:
    """(chip dir, sensor) -> `CHIP/SENSOR` as stored: readable, and unique per host. A chip
    whose sensors share a label (node_exporter's fixture has two "foosensor") keeps the
    sensors' file names. Two chips of one device that share a name too (never seen, but
    nothing forbids it) fall back to hwmonN rather than merge."""
    counts = Counter(c.name for c in hw.chips.values())
    stable = {
        chip: f"{c.name or ''} {device_chip(c) or chip}".strip() for chip, c in hw.chips.items()
    }
    taken = Counter(stable.values())
    out = {}
    for chip, c in hw.chips.items():
        if c.name and counts[c.name] == 1:
            shown = c.name
        elif taken[stable[chip]] == 1:
            shown = stable[chip]
        else:
            shown = f"{c.name or ''} {chip}".strip()
        labels = Counter(_label(s) for s in c.sensors.values())
        for sensor, s in c.sensors.items():
            label = _label(s)
            out[(chip, sensor)] = f"{shown}/{label if label and labels[label] == 1 else sensor}"
    return out


def _label(s: Sensor) -> str | None:
    return (s.label.strip() or None) if s.label is not None else None


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
    """node_exporter's hwmon families for the temp* sensors. Two chips node_exporter names
    alike (same name, no device) would give one series twice: the first is kept, as
    node_exporter's scrape keeps it (and logs "collected before with the same name and
    label values")."""
    hw = chips(r)
    if hw is None:
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

    def once(name: str, labels: tuple[tuple[str, str], ...]) -> bool:
        key = (name, labels)
        if key in seen:
            return False
        seen.add(key)
        return True

    for chip, c in hw.chips.items():
        label = node_chip(chip, c)
        chip_name = clean(c.name or "")
        if chip_name and once("chip_names", names := (("chip", label), ("chip_name", chip_name))):
            yield node_sample("hwmon_chip_names", 1, "gauge", _HELP_CHIP, names)
        for sensor, s in c.sensors.items():
            labels = (("chip", label), ("sensor", sensor))
            if s.label is not None:
                lab = (("chip", label), ("label", s.label), ("sensor", sensor))
                if once("sensor_label", lab):
                    yield node_sample("hwmon_sensor_label", 1, "gauge", _HELP_LABEL, lab)
            for name, value, help_ in (
                ("temp_celsius", s.celsius, "Hardware monitor for temperature (input)"),
                ("temp_crit_celsius", s.crit_celsius, "Hardware monitor for temperature (crit)"),
                ("temp_max_celsius", s.max_celsius, "Hardware monitor for temperature (max)"),
            ):
                if value is not None and once(name, labels):
                    yield node_sample(f"hwmon_{name}", value, "gauge", help_, labels)


_HELP_CHIP: Final = "Annotation metric for human-readable chip names"
_HELP_LABEL: Final = "Label for given chip and sensor"

COLLECTOR: Final = Collector(
    "hwmon",
    "Temperatures of hardware monitoring chips (/sys/class/hwmon/hwmon*/temp*)",
    (HWMON, HWMON_ON_DEVICE, HWMON_NAMES, HWMON_LIMITS, HWMON_DEVICES),
    METRICS,
    gauges,
    None,
    samples,
)
