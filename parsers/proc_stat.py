"""Parse /proc/stat: cpu time per mode, boot time, context switches, forks, procs, softirqs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, NamedTuple

from parsers.errors import ParseError
from parsers.numbers import bounded_int, check_ints

SOURCE: Final = "/proc/stat"
# /proc/stat counts cpu time in USER_HZ ticks, which the kernel fixes at 100 for userspace
# on every architecture (include/asm-generic/param.h), whatever CONFIG_HZ is.
USER_HZ: Final = 100.0
_COUNTERS: Final = {
    "ctxt": "context_switches_total",
    "processes": "forks_total",
    "intr": "interrupts_total",
    "btime": "boot_time_seconds",
    "procs_running": "procs_running",
    "procs_blocked": "procs_blocked",
}


# A NamedTuple, not a frozen dataclass: one per cpu per poll, and building a NamedTuple
# costs a fifth of a frozen dataclass (parse + derive must stay far below 0.5 ms a poll).
class CpuSeconds(NamedTuple):
    """Seconds spent per mode, in the column order of a `cpu` line; None where the kernel
    predates the column: iowait 2.5.41, irq/softirq 2.6.0, steal 2.6.11, guest 2.6.24,
    guest_nice 2.6.33.

    As in the kernel and node_exporter, guest time is *also* counted in user (and
    guest_nice in nice) since 2.6.24: never add guest to user when summing a total.
    """

    user: float
    nice: float
    system: float
    idle: float
    iowait: float | None = None
    irq: float | None = None
    softirq: float | None = None
    steal: float | None = None
    guest: float | None = None
    guest_nice: float | None = None


CPU_MODES: Final = CpuSeconds._fields
_MISSING: Final[list[float | None]] = [None] * len(CPU_MODES)  # columns older kernels do not print
_new_cpu: Final = tuple.__new__
_ticks_to_seconds: Final = USER_HZ.__rtruediv__  # t -> t / USER_HZ


@dataclass(frozen=True, slots=True)
class ProcStat:
    """Parsed /proc/stat. `cpus` maps the cpu number as text ("0", "1", …) to its times."""

    total: CpuSeconds | None
    cpus: Mapping[str, CpuSeconds]
    boot_time_seconds: int | None = None
    context_switches_total: int | None = None
    forks_total: int | None = None
    interrupts_total: int | None = None
    procs_running: int | None = None
    procs_blocked: int | None = None
    # `softirq TOTAL HI TIMER …` (2.6.31+): handled softirqs per vector since boot, in
    # the kernel's vector order (include/linux/interrupt.h), summed over the cpus
    softirqs_total: int | None = None
    softirq_vectors: tuple[int, ...] | None = None


def parse(text: str) -> ProcStat:
    total: CpuSeconds | None = None
    cpus: dict[str, CpuSeconds] = {}
    scalars: dict[str, int] = {}
    vectors: tuple[int, ...] | None = None
    for line in text.split("\n"):
        # `intr` and `softirq` carry one column per interrupt (thousands on big boxes):
        # split off only the first number instead of the whole line
        parts = line.split(None, 2)
        if not parts:
            continue
        key = parts[0]
        if key.startswith("cpu"):
            times = _cpu_seconds(line)
            if key == "cpu":
                total = times
            else:
                cpus[key[3:]] = times
        elif key == "softirq":
            scalars["softirqs_total"], vectors = _softirqs(line)
        elif key in _COUNTERS:
            if len(parts) < 2:
                raise ParseError(SOURCE, f"no value for {key}", line)
            scalars[_COUNTERS[key]] = _int(parts[1], line)
    return ProcStat(total, cpus, **scalars, softirq_vectors=vectors)


def _cpu_seconds(line: str) -> CpuSeconds:
    fields = line.split()
    if len(fields) < 5 or (not fields[0][3:].isdigit() and fields[0] != "cpu"):
        raise ParseError(SOURCE, "malformed cpu line", line)
    columns = fields[1 : 1 + len(CPU_MODES)]
    try:
        # one C-level pipeline (int, then / USER_HZ) per line: hosts have dozens of cpus
        ticks = list(map(int, columns))
    except ValueError as exc:
        for token in columns:
            _int(token, line)  # raises, naming the first bad token
        raise ParseError(SOURCE, "malformed cpu line", line) from exc  # not reached
    check_ints(ticks, SOURCE, line)
    seconds: list[float | None] = list(map(_ticks_to_seconds, ticks))
    # tuple.__new__ skips CpuSeconds' Python-level __new__ (one per cpu per poll)
    return _new_cpu(CpuSeconds, seconds + _MISSING[len(seconds) :])


def _softirqs(line: str) -> tuple[int, tuple[int, ...]]:
    fields = line.split()
    if len(fields) < 2:
        raise ParseError(SOURCE, "no value for softirq", line)
    try:
        numbers = list(map(int, fields[1:]))
    except ValueError as exc:
        raise ParseError(SOURCE, "softirq value is not an integer", line) from exc
    check_ints(numbers, SOURCE, line)
    return numbers[0], tuple(numbers[1:])


def _int(token: str, line: str) -> int:
    return bounded_int(token, SOURCE, line)
