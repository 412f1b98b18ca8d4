"""Parse /sys/block/*/device/ioerr_cnt: I/O errors the SCSI midlayer counted per disk.

Only SCSI-attached disks (sd*, also SATA and USB through libata/uas) have the file; the
kernel prints it in hex (`0x1f`, drivers/scsi/scsi_sysfs.c show_iostat_counterbits). NVMe
and virtio disks have none: their errors are unavailable here, not 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files
from parsers.numbers import LIMIT

SOURCE: Final = "/sys/block/*/device/ioerr_cnt"
_PATH: Final = re.compile(r"/sys/block/([^/]+)/device/ioerr_cnt")
_HEX: Final = re.compile(r"0x[0-9a-fA-F]{1,16}")


@dataclass(frozen=True, slots=True)
class IoErrors:
    """I/O errors since the disk was attached, by block device name."""

    devices: Mapping[str, int]


def parse(text: str) -> IoErrors:
    found: dict[str, int] = {}
    for path, body in tail_files(text):
        m = _PATH.fullmatch(path)
        if m is None:
            raise ParseError(SOURCE, "not a /sys/block/DEV/device/ioerr_cnt file", path)
        value = body.strip()
        if not value:
            continue  # unreadable: not known
        if _HEX.fullmatch(value) is None:
            raise ParseError(SOURCE, "expected a hex count such as 0x1f", f"{path}: {value}")
        count = int(value, 16)
        if count >= LIMIT:
            raise ParseError(SOURCE, "number out of range", f"{path}: {value}")
        found[m.group(1)] = count
    return IoErrors(found)
