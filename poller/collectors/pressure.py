"""pressure: pressure stall information (/proc/pressure/{cpu,memory,io,irq}, Linux 4.20+).

Optional sections: kernels before 4.20, or booted with psi=0, have no /proc/pressure, and
that is "unavailable", not a failure. cpu has a `full` line only since 5.13. irq (time
lost to hard and soft interrupts, only a `full` line) came in 6.1 and only with
CONFIG_IRQ_TIME_ACCOUNTING (and psi=1); node_exporter exports it since 1.7.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_pressure
from parsers.exposition import Sample, node_sample
from parsers.proc_pressure import Pressure
from poller.collectors.base import Collector, Readings, Source, Triple
from poller.metric_spec import EXACT, PCT, G, Kind, MetricSpec, P
from poller.precision import Precision

RESOURCES: Final = ("cpu", "memory", "io", "irq")
SOURCES: Final = tuple(
    Source(f"pressure_{res}", proc_pressure.parse, path=f"/proc/pressure/{res}", optional=True)
    for res in RESOURCES
)
# 'some' = at least one task stalled, 'full' = all non-idle tasks stalled at once
PSI: Final = (("cpu", "some"), ("memory", "some"), ("memory", "full"), ("io", "some"),
              ("io", "full"), ("irq", "full"))  # fmt: skip
_AVG: Final = tuple((f"pressure_{res}", kind, f"psi_{res}_{kind}_avg10") for res, kind in PSI)
_DELTA: Final = tuple((f"pressure_{res}", kind, f"psi_{res}_{kind}_percent") for res, kind in PSI)

_PSI_AVG = "kernel's 10 s running average of the share of time"
_PSI_DELTA = "share of the time since the previous poll (from the total= counter)"
# the kernel prints avg10 with 2 decimals (stored as percentages, 0.01 points)
_SERIES: Final[tuple[tuple[str, Kind, str, Precision], ...]] = (
    ("avg10", G, _PSI_AVG, EXACT),
    ("percent", P, _PSI_DELTA, PCT),
)
METRICS: Final = tuple(
    MetricSpec(f"psi_{res}_{kind}_{suffix}", P, mk, None, f"{res} {kind}: {desc}", PCT)
    for res, kind in PSI
    for suffix, mk, desc, _prec in _SERIES
)
# node_exporter: PSI `some` is "waiting", `full` is "stalled" (cpu full since 5.13)
HELP: Final = {
    ("cpu", "waiting"): "Total time in seconds that processes have waited for CPU time",
    ("cpu", "stalled"): "Total time in seconds no process could make progress due to CPU",
    ("memory", "waiting"): "Total time in seconds that processes have waited for memory",
    ("memory", "stalled"):
        "Total time in seconds no process could make progress due to memory congestion",
    ("io", "waiting"): "Total time in seconds that processes have waited due to IO congestion",
    ("io", "stalled"): "Total time in seconds no process could make progress due to IO congestion",
    ("irq", "stalled"):
        "Total time in seconds no process could make progress due to IRQ congestion",
}  # fmt: skip


def gauges(r: Readings, out: list[Triple]) -> None:
    for section, kind, name in _AVG:
        psi = r.get(section)
        line = getattr(psi, kind) if isinstance(psi, Pressure) else None
        if line is not None:
            out.append((name, "", line.avg10))


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    for section, kind, name in _DELTA:
        p0, p1 = prev.get(section), cur.get(section)
        if not isinstance(p0, Pressure) or not isinstance(p1, Pressure):
            continue
        l0, l1 = getattr(p0, kind), getattr(p1, kind)
        if l0 is None or l1 is None:
            continue
        v0, v1 = l0.total_seconds * 100.0, l1.total_seconds * 100.0
        if v1 >= v0:
            # stall time cannot exceed the time that passed, but uptime's 10 ms ticks
            # (or jitter in ts) can push a share a little past 100
            out.append((name, "", min((v1 - v0) / dt, 100.0)))


def samples(r: Readings) -> Iterator[Sample]:
    for res in RESOURCES:
        psi = r.get(f"pressure_{res}")
        if not isinstance(psi, Pressure):
            continue
        for kind, line in (("waiting", psi.some), ("stalled", psi.full)):
            help_ = HELP.get((res, kind))
            if line is not None and help_ is not None:
                name = f"pressure_{res}_{kind}_seconds_total"
                yield node_sample(name, line.total_seconds, "counter", help_)


COLLECTOR: Final = Collector(
    "pressure",
    "Pressure stall information (/proc/pressure, Linux 4.20+)",
    SOURCES,
    METRICS,
    gauges,
    rates,
    samples,
)
