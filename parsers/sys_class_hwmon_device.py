"""Parse where /sys/class/hwmon/hwmon*/device resolves, as the probe prints it
(parsers/links.py: `hwmon3 /sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0`).

The device a chip belongs to names it stably: hwmonN is numbered in the order the drivers
registered and can change at a reboot, the device's path cannot. A chip without a
`device` link (a virtual one) has no line.
"""

from __future__ import annotations

from typing import Final

from parsers import links
from parsers.errors import ParseError
from parsers.sys_class_hwmon import Chip, Hwmon

SOURCE: Final = "/sys/class/hwmon/hwmon*/device"
_CHIP_PREFIX: Final = "hwmon"


def parse(text: str) -> Hwmon:
    chips = {}
    for chip, path in links.parse(text, SOURCE).items():
        if not (chip.startswith(_CHIP_PREFIX) and chip[len(_CHIP_PREFIX) :].isdecimal()):
            raise ParseError(SOURCE, "not a hwmon chip directory", chip)
        chips[chip] = Chip(device=path)
    return Hwmon(chips)
