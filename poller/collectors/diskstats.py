"""diskstats: throughput, IOPS, utilisation, await and queue depth per disk (/proc/diskstats).

Whole disks only, node_exporter's default device filter (no partitions, loops, rams).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from operator import attrgetter
from typing import Final

from parsers import proc_diskstats
from parsers.exposition import Sample, SampleType, node_sample
from parsers.exposition_filters import DISK_EXCLUDED
from parsers.proc_diskstats import SECTOR_BYTES, DiskStats, Diskstats
from poller.collectors.base import Collector, Readings, Source, Triple, counter_rates, reading
from poller.metric_spec import DERIVED, PCT, RATE, G, MetricSpec, P, R

DISKSTATS: Final = Source("diskstats", proc_diskstats.parse, path="/proc/diskstats")

# fmt: off
_RATES: Final = tuple((f"disk_{name}_per_second", attrgetter(field)) for name, field in (
    ("read_bytes", "read_bytes_total"), ("write_bytes", "written_bytes_total"),
    ("reads", "reads_completed_total"), ("writes", "writes_completed_total"),
))
# (DiskStats field, node_exporter name after node_disk_ if different, HELP); node_exporter
# types them all as counters but io_now, and keeps discarded_sectors_total in sectors
FIELDS: Final = (
    ("reads_completed_total", "", "The total number of reads completed successfully."),
    ("reads_merged_total", "", "The total number of reads merged."),
    ("read_bytes_total", "", "The total number of bytes read successfully."),
    ("read_time_seconds_total", "", "The total number of seconds spent by all reads."),
    ("writes_completed_total", "", "The total number of writes completed successfully."),
    ("writes_merged_total", "", "The number of writes merged."),
    ("written_bytes_total", "", "The total number of bytes written successfully."),
    ("write_time_seconds_total", "", "This is the total number of seconds spent by all writes."),
    ("io_in_progress", "io_now", "The number of I/Os currently in progress."),
    ("io_time_seconds_total", "", "Total seconds spent doing I/Os."),
    ("io_weighted_time_seconds_total", "io_time_weighted_seconds_total",
     "The weighted # of seconds spent doing I/Os."),
    ("discards_completed_total", "", "The total number of discards completed successfully."),
    ("discards_merged_total", "", "The total number of discards merged."),
    ("discarded_bytes_total", "discarded_sectors_total",
     "The total number of sectors discarded successfully."),
    ("discard_time_seconds_total", "",
     "This is the total number of seconds spent by all discards."),
    ("flush_requests_total", "", "The total number of flush requests completed successfully"),
    ("flush_time_seconds_total", "flush_requests_time_seconds_total",
     "This is the total number of seconds spent by all flush requests."),
)
# fmt: on
_BPS: Final = "bytes_per_second"
_PS: Final = "per_second"
_DEV: Final = "device"
METRICS: Final = (
    MetricSpec("disk_read_bytes_per_second", _BPS, R, _DEV, "Bytes read", RATE),
    MetricSpec("disk_write_bytes_per_second", _BPS, R, _DEV, "Bytes written", RATE),
    MetricSpec("disk_reads_per_second", _PS, R, _DEV, "Reads completed", RATE),
    MetricSpec("disk_writes_per_second", _PS, R, _DEV, "Writes completed", RATE),
    MetricSpec(
        "disk_util_percent",
        P,
        P,
        _DEV,
        "Share of time the device had I/O in flight (io_time), capped at 100",
        PCT,
    ),
    MetricSpec(
        "disk_read_await_seconds",
        "seconds",
        G,
        _DEV,
        "Mean time per read completed since the previous poll",
        DERIVED,
    ),
    MetricSpec(
        "disk_write_await_seconds",
        "seconds",
        G,
        _DEV,
        "Mean time per write completed since the previous poll",
        DERIVED,
    ),
    MetricSpec(
        "disk_queue_depth",
        "ratio",
        G,
        _DEV,
        "Mean requests in flight since the previous poll (weighted io_time / time)",
        DERIVED,
    ),
)


@lru_cache(maxsize=4096)
def _excluded(name: str) -> bool:
    return DISK_EXCLUDED.match(name) is not None


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    d0, d1 = reading(prev, "diskstats", Diskstats), reading(cur, "diskstats", Diskstats)
    if d0 is None or d1 is None:
        return
    disks1 = {k: v for k, v in d1.devices.items() if not _excluded(k)}
    counter_rates(d0.devices, disks1, _RATES, dt, out)
    _times(d0, disks1, dt, out)


def _times(before: Diskstats, after: Mapping[str, DiskStats], dt: float, out: list[Triple]) -> None:
    add = out.append
    for dev, d1 in after.items():
        d0 = before.devices.get(dev)
        if d0 is None:
            continue
        busy = _delta(d0.io_time_seconds_total, d1.io_time_seconds_total)
        if busy is not None:
            # io_time is sampled at request boundaries and can run a little ahead of dt
            add(("disk_util_percent", dev, min(busy / dt * 100.0, 100.0)))
        weighted = _delta(d0.io_weighted_time_seconds_total, d1.io_weighted_time_seconds_total)
        if weighted is not None:
            add(("disk_queue_depth", dev, weighted / dt))
        reads = _delta(d0.reads_completed_total, d1.reads_completed_total)
        read_s = _delta(d0.read_time_seconds_total, d1.read_time_seconds_total)
        if reads and read_s is not None:  # no I/O completed: no mean time, not 0
            add(("disk_read_await_seconds", dev, read_s / reads))
        writes = _delta(d0.writes_completed_total, d1.writes_completed_total)
        write_s = _delta(d0.write_time_seconds_total, d1.write_time_seconds_total)
        if writes and write_s is not None:
            add(("disk_write_await_seconds", dev, write_s / writes))


def _delta(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or after < before:
        return None
    return after - before


def samples(r: Readings) -> Iterator[Sample]:
    disks = reading(r, "diskstats", Diskstats)
    if disks is None:
        return
    for device, stats in disks.devices.items():
        if DISK_EXCLUDED.match(device):
            continue
        labels = (("device", device),)
        for field, name, help_ in FIELDS:
            value = getattr(stats, field)
            if value is None:
                continue
            if field == "discarded_bytes_total":
                value /= SECTOR_BYTES
            typ: SampleType = "gauge" if field == "io_in_progress" else "counter"
            yield node_sample(f"disk_{name or field}", value, typ, help_, labels)


COLLECTOR: Final = Collector(
    "diskstats", "Block devices (/proc/diskstats)", (DISKSTATS,), METRICS, None, rates, samples
)
