"""Parse /proc/net/softnet_stat: per-cpu packet processing counters (hexadecimal)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from parsers.errors import ParseError
from parsers.numbers import check_ints

SOURCE: Final = "/proc/net/softnet_stat"
# net/core/net-procfs.c prints at least 9 columns since 2.6 (received_rps came in 2.6.35,
# flow_limit_count in 3.11, backlog_len and the cpu index in 5.10); fewer is not this file
# (prometheus/procfs rejects it too)
MIN_COLUMNS: Final = 9
INDEX_COLUMN: Final = 12  # the cpu number, 5.10+ (rows skip offline cpus)
HEX: Final = 16  # every column is printed with %08x


class SoftnetCpu(NamedTuple):
    """One cpu's row: packets processed, dropped (backlog full), and times net_rx_action
    ran out of budget or time with work left (time_squeezed). 32-bit counters: they wrap."""

    processed: int
    dropped: int
    times_squeezed: int


@dataclass(frozen=True, slots=True)
class Softnet:
    """Parsed /proc/net/softnet_stat. `cpus` maps the cpu number as text to its row: the
    index column where the kernel prints it (5.10+), else the row number, as
    prometheus/procfs and node_exporter do."""

    cpus: Mapping[str, SoftnetCpu]


def parse(text: str) -> Softnet:
    cpus: dict[str, SoftnetCpu] = {}
    for row, line in enumerate(line for line in text.split("\n") if line.strip()):
        fields = line.split()
        if len(fields) < MIN_COLUMNS:
            raise ParseError(SOURCE, f"expected at least {MIN_COLUMNS} columns", line)
        wanted = fields[:3] + fields[INDEX_COLUMN : INDEX_COLUMN + 1]
        try:
            numbers = [int(f, HEX) for f in wanted]
        except ValueError as exc:
            raise ParseError(SOURCE, "not a hexadecimal number", line) from exc
        check_ints(numbers, SOURCE, line)
        cpu = str(numbers[3]) if len(numbers) > 3 else str(row)
        cpus[cpu] = SoftnetCpu(numbers[0], numbers[1], numbers[2])
    return Softnet(cpus)
