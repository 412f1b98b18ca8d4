"""Parse /sys/class/thermal/thermal_zone*/{type,temp}: ACPI and SoC thermal zones.

`temp` is in millidegrees Celsius (Documentation/driver-api/thermal/sysfs-api.rst); a zone
whose sensor cannot be read right now (EAGAIN, ENODATA: iwlwifi while the card is down)
comes as an empty body and has no value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files
from parsers.numbers import bounded_int

SOURCE: Final = "/sys/class/thermal"
MILLI: Final = 1000  # millidegrees Celsius
_PATH: Final = re.compile(r"/sys/class/thermal/thermal_zone(\d+)/(type|temp)")


@dataclass(frozen=True, slots=True)
class Zone:
    type: str | None = None
    celsius: float | None = None


@dataclass(frozen=True, slots=True)
class Thermal:
    """Parsed thermal zones by zone number ("0", "1", …) in the target's order."""

    zones: Mapping[str, Zone]


def parse(text: str) -> Thermal:
    types: dict[str, str] = {}
    temps: dict[str, float] = {}
    order: dict[str, None] = {}
    for path, body in tail_files(text):
        m = _PATH.fullmatch(path)
        if m is None:
            raise ParseError(SOURCE, "not a thermal_zone type or temp file", path)
        zone, attr = m.groups()
        order[zone] = None
        value = body.strip()
        if not value:
            continue
        if attr == "type":
            types[zone] = value
        else:
            temps[zone] = bounded_int(value, SOURCE, f"{path}: {value}") / MILLI
    return Thermal({z: Zone(types.get(z), temps.get(z)) for z in order})
