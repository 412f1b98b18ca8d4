"""disk_errors: I/O errors per SCSI disk (/sys/block/*/device/ioerr_cnt, hex).

A count since the disk was attached, stored as the kernel gives it: a rising value is a
failing disk, cable or controller. Disks without the file (NVMe, virtio) have no value.
node_exporter has no such metric, so nothing is added to /metrics.
"""

from __future__ import annotations

from typing import Final

from parsers import sys_block_ioerr
from parsers.sys_block_ioerr import IoErrors
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

IOERR: Final = Source(
    "ioerr",
    sys_block_ioerr.parse,
    globs=("/sys/block/*/device/ioerr_cnt",),
    optional=True,  # VMs with virtio or NVMe disks only: nothing matches
)
METRICS: Final = (
    MetricSpec(
        "disk_io_errors",
        "count",
        G,
        "device",
        "I/O errors the SCSI layer counted since the disk was attached (ioerr_cnt)",
        EXACT,
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    errs = reading(r, "ioerr", IoErrors)
    if errs is not None:
        out.extend(("disk_io_errors", dev, n) for dev, n in errs.devices.items())


COLLECTOR: Final = Collector(
    "disk_errors",
    "I/O errors per SCSI disk (/sys/block/*/device/ioerr_cnt)",
    (IOERR,),
    METRICS,
    gauges,
)
