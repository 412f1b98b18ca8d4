"""Parse /sys/devices/system/clocksource/clocksource*/{available,current}_clocksource.

The clock sources the kernel may keep time with and the one it uses (`tsc`, `kvm-clock`,
`hpet`, …; Documentation/ABI/testing/sysfs-devices-system-clocksource). The kernel
switches at run time when its watchdog finds the TSC unstable ("Marking TSC unstable"),
which is what makes the current one worth watching.

node_exporter (procfs sysfs.ClockSources, collector/time_linux.go) labels each device by
its position among the clocksource* directories in Go's sorted glob order, not by the
number in its name; the reading keeps that order, sorted the same way (bytes), whatever
order the target's shell listed them in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files

SOURCE: Final = "/sys/devices/system/clocksource"
_PATH: Final = re.compile(
    r"/sys/devices/system/clocksource/(clocksource\d+)/(available|current)_clocksource"
)
# a kernel has one clocksource device; the caps bound what an untrusted target can send
MAX_DEVICES: Final = 16
MAX_AVAILABLE: Final = 32
_NAME: Final = re.compile(r"[\x21-\x7e]{1,64}")  # kernel clocksource names: short, printable


@dataclass(frozen=True, slots=True)
class ClockSource:
    available: tuple[str, ...] = ()
    current: str | None = None


@dataclass(frozen=True, slots=True)
class ClockSources:
    """Clock source devices by directory name (`clocksource0`), in node_exporter's order."""

    devices: Mapping[str, ClockSource]


def parse(text: str) -> ClockSources:
    available: dict[str, tuple[str, ...]] = {}
    current: dict[str, str] = {}
    for path, body in tail_files(text):
        m = _PATH.fullmatch(path)
        if m is None:
            raise ParseError(SOURCE, "not a clocksource file", path)
        device, attr = m.groups()
        names = body.split()
        for name in names:
            if not _NAME.fullmatch(name):
                raise ParseError(SOURCE, "not a clock source name", f"{path}: {name[:80]}")
        if attr == "available":
            if len(names) > MAX_AVAILABLE:
                raise ParseError(SOURCE, f"more than {MAX_AVAILABLE} clock sources", path)
            available[device] = tuple(dict.fromkeys(names))  # a name twice: one sample
        elif len(names) == 1:
            current[device] = names[0]
        elif names:
            raise ParseError(SOURCE, "more than one current clock source", f"{path}: {body[:80]}")
    devices = sorted({*available, *current}, key=lambda d: d.encode())
    if len(devices) > MAX_DEVICES:
        raise ParseError(SOURCE, f"more than {MAX_DEVICES} clocksource devices", devices[-1])
    return ClockSources({d: ClockSource(available.get(d, ()), current.get(d)) for d in devices})
