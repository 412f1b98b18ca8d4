"""Parse /proc/diskstats: per block device I/O counters in bytes and seconds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS, check_ints

SOURCE: Final = "/proc/diskstats"
# diskstats always counts 512-byte sectors, whatever the device's block size
# (Documentation/admin-guide/iostats.rst)
SECTOR_BYTES: Final = 512
MS: Final = 1000.0


# A NamedTuple, not a frozen dataclass: one per block device per poll, and building a NamedTuple
# costs a fifth of a frozen dataclass (parse + derive must stay far below 0.5 ms a poll).
class DiskStats(NamedTuple):
    """Counters of one block device (Documentation/admin-guide/iostats.rst).

    Columns appeared over time: 14 columns (11 counters) up to 4.17, 18 with the discard
    counters from 4.18, 20 with the flush counters from 5.5. Counters the kernel did not
    print are None. 2.6.0-2.6.24 printed partitions with only 4 counters (7 columns).
    """

    major: int
    minor: int
    reads_completed_total: int
    reads_merged_total: int | None
    read_bytes_total: int
    read_time_seconds_total: float | None
    writes_completed_total: int
    writes_merged_total: int | None
    written_bytes_total: int
    write_time_seconds_total: float | None
    io_in_progress: int | None
    io_time_seconds_total: float | None
    io_weighted_time_seconds_total: float | None
    discards_completed_total: int | None = None
    discards_merged_total: int | None = None
    discarded_bytes_total: int | None = None
    discard_time_seconds_total: float | None = None
    flush_requests_total: int | None = None
    flush_time_seconds_total: float | None = None


_NONE4: Final = (None,) * 4
_NONE2: Final = (None,) * 2
_new_stats: Final = tuple.__new__


@dataclass(frozen=True, slots=True)
class Diskstats:
    """Parsed /proc/diskstats; devices keyed by kernel name (sda, nvme0n1p1, dm-0)."""

    devices: Mapping[str, DiskStats]


def parse(text: str) -> Diskstats:
    devices: dict[str, DiskStats] = {}
    for line in text.split("\n"):
        fields = line.split()
        if not fields:
            continue
        try:
            name, stats = _device(fields, line)
        except ParseError:
            raise  # already says what is wrong (a ParseError is a ValueError too)
        except ValueError as exc:
            raise ParseError(SOURCE, "counter is not an integer", line) from exc
        devices[name] = stats
    return Diskstats(devices)


def _device(fields: list[str], line: str) -> tuple[str, DiskStats]:
    n = len(fields)
    if n == 7:
        # 2.6.0-2.6.24 partition line: reads, sectors read, writes, sectors written
        major, minor, reads, rsect, writes, wsect = numbers = list(
            map(int, fields[:2] + fields[3:])
        )
        check_ints(numbers, SOURCE, line)
        stats = DiskStats(
            major,
            minor,
            reads,
            None,
            rsect * SECTOR_BYTES,
            None,
            writes,
            None,
            wsect * SECTOR_BYTES,
            None,
            None,
            None,
            None,
        )
        return fields[2], stats
    if n == 15:
        # 2.4 kernels kept these counters in /proc/partitions; read it as psutil does
        # (test_emulate_kernel_2_4): name in column 4, reads in column 3, then the rest
        return fields[3], _full([fields[0], fields[1], fields[2], *fields[4:14]], line)
    if n in (14, 18, 20):
        head = fields[0], fields[1]  # major, minor
        if (
            fields[3:].count("0") == n - 3
            and head[0].isdecimal()
            and head[1].isdecimal()
            and len(head[0]) + len(head[1]) <= 2 * SAFE_DIGITS
        ):
            # an idle device (loop devices by the dozen on snap hosts, unused
            # partitions): 17 int() calls skipped, the line was 2 us of parse's 25
            return fields[2], _new_stats(DiskStats, (int(head[0]), int(head[1]), *_IDLE[n]))
        return fields[2], _full([*head, *fields[3:]], line)
    raise ParseError(SOURCE, f"expected 7, 14, 18 or 20 columns, got {n}", line)


def _full(fields: list[str], line: str) -> DiskStats:
    v = list(map(int, fields))
    check_ints(v, SOURCE, line)
    if min(v) < 0:  # the kernel prints these unsigned
        raise ParseError(SOURCE, "negative counter", line)
    n = len(v)
    # built in one list and made a DiskStats by tuple.__new__: the NamedTuple's own
    # Python-level __new__ with 19 arguments was a third of this parser's time
    return _new_stats(DiskStats, [
        v[0], v[1], v[2], v[3], v[4] * SECTOR_BYTES, v[5] / MS,
        v[6], v[7], v[8] * SECTOR_BYTES, v[9] / MS, v[10], v[11] / MS, v[12] / MS,
        *((v[13], v[14], v[15] * SECTOR_BYTES, v[16] / MS) if n >= 17 else _NONE4),  # 4.18+
        *((v[17], v[18] / MS) if n >= 19 else _NONE2),  # flush columns, 5.5+
    ])  # fmt: skip


# DiskStats of an all-zero line after major and minor, by column count
_IDLE: Final = {n: _full(["0"] * (n - 1), "")[2:] for n in (14, 18, 20)}
