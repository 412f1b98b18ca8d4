"""cgroups: CPU, memory and IO of each systemd service and container, from cgroup v2 files.

No agent, no Docker API, no root: every service and container runtime on a systemd or
cgroupfs host leaves a cgroup whose cpu.stat, memory.current and io.stat any user may read
(parsers/sys_fs_cgroup.py). One `head` in the slow round reads them all: at 200 service
cgroups it costs the target about 5 ms of CPU (bench/README.md), five times the whole fast
probe, too much for every poll. Rates therefore span one slow round to the next: the poller keeps
this section's reading until the next round (`Source.carried`), and the interval is the
target's /proc/uptime read by the same `head`, not the time between two polls.

Stored per service (dev label `service`) and per container (`container`): CPU in percent of
one CPU (systemd-cgtop's and `docker stats`' convention: 200 is two CPUs busy), memory
charged, IO read/write bytes per second. How many of each is capped per host (max_devices,
the biggest kept: poller/derive_cap.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_fs_cgroup
from parsers.exposition import Sample, SampleType
from parsers.sys_fs_cgroup import FILES, ROOTS, UPTIME, Cgroups, CgroupStats, Kind
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, RATE, G, MetricSpec, P, R

# Where services and containers live under a cgroup2 root: systemd units (services,
# `systemd-run --scope` scopes, docker-<id>.scope with the systemd cgroup driver),
# machine.slice (podman as root, nspawn), Docker's cgroupfs driver, Kubernetes pods with
# the systemd and the cgroupfs drivers (guaranteed pods one level up), rootless podman.
PLACES: Final = (
    "system.slice/*.service",
    "system.slice/*.scope",
    "machine.slice/*.scope",
    "docker/*",
    "kubepods.slice/*/*.scope",
    "kubepods.slice/*/*/*.scope",
    "kubepods/*/*",
    "kubepods/*/*/*",
    "user.slice/*/user@*.service/user.slice/libpod-*.scope",
)
GLOBS: Final = (
    UPTIME,  # the clock of this reading's rates, read by the same `head`
    *(f"{root}/{place}/{name}" for root in ROOTS for place in PLACES for name in FILES),
)
CGROUPS: Final = Source("cgroups", sys_fs_cgroup.parse, globs=GLOBS, slow=True, carried=True)

# cpu.stat and /proc/uptime are read microseconds apart by one `head`; a shorter interval
# between two rounds is no measurement (the same reading twice, or a clock that went back)
MIN_INTERVAL_S: Final = 0.01
_BPS: Final = "bytes_per_second"


def _specs(kind: Kind) -> tuple[MetricSpec, ...]:
    """The four metrics of a service or a container; the dev label is the kind's name."""
    return (
        MetricSpec(
            f"{kind}_cpu_percent",
            P,
            P,
            kind,
            f"CPU time of the {kind} since the previous slow round, in percent of one CPU "
            "(200 = two CPUs busy; cpu.stat usage_usec)",
            PCT,
            slow=True,
        ),
        MetricSpec(
            f"{kind}_memory_bytes",
            "bytes",
            G,
            kind,
            f"Memory charged to the {kind}'s cgroup, page cache included (memory.current)",
            EXACT,
            slow=True,
        ),
        MetricSpec(
            f"{kind}_io_read_bytes_per_second",
            _BPS,
            R,
            kind,
            f"Bytes the {kind} read from block devices (io.stat rbytes, all devices)",
            RATE,
            slow=True,
        ),
        MetricSpec(
            f"{kind}_io_write_bytes_per_second",
            _BPS,
            R,
            kind,
            f"Bytes the {kind} wrote to block devices (io.stat wbytes, all devices)",
            RATE,
            slow=True,
        ),
    )


METRICS: Final = (*_specs("service"), *_specs("container"))


def gauges(r: Readings, out: list[Triple]) -> None:
    cg = reading(r, "cgroups", Cgroups)
    if cg is None:
        return
    for name, stats in cg.groups.items():
        if stats.memory_bytes is not None:
            out.append((f"{stats.kind}_memory_bytes", name, float(stats.memory_bytes)))


def rates(prev: Readings, cur: Readings, dt: float, out: list[Triple]) -> None:
    """Between this slow round's reading and the previous one (kept by the poller), over
    the target's uptime between them; `dt` (the time since the previous poll) is not it."""
    c0, c1 = reading(prev, "cgroups", Cgroups), reading(cur, "cgroups", Cgroups)
    if c0 is None or c1 is None or c0.uptime_seconds is None or c1.uptime_seconds is None:
        return
    span = c1.uptime_seconds - c0.uptime_seconds
    if span < MIN_INTERVAL_S:
        return  # the same reading, or a reboot in between: no rate
    add = out.append
    for name, s1 in c1.groups.items():
        s0 = c0.groups.get(name)
        if s0 is None or s0.kind != s1.kind:
            continue  # a new service or container: its first rate comes next round
        kind = s1.kind
        cpu = _delta(s0.cpu_seconds_total, s1.cpu_seconds_total)
        if cpu is not None:
            add((f"{kind}_cpu_percent", name, cpu / span * 100.0))
        read = _delta(s0.io_read_bytes_total, s1.io_read_bytes_total)
        if read is not None:
            add((f"{kind}_io_read_bytes_per_second", name, read / span))
        written = _delta(s0.io_write_bytes_total, s1.io_write_bytes_total)
        if written is not None:
            add((f"{kind}_io_write_bytes_per_second", name, written / span))


def _delta(before: float | None, after: float | None) -> float | None:
    # a counter that went down: the unit was restarted into a new cgroup of the same name
    if before is None or after is None or after < before:
        return None
    return after - before


# cAdvisor's names and `id` label (the cgroup path), so its dashboards work on /metrics;
# `name` is cAdvisor's container name, which without the Docker API is the runtime and short
# id, and empty for a systemd unit as cAdvisor leaves it. node_exporter has no such family.
_SAMPLES: Final[tuple[tuple[str, str, SampleType, str], ...]] = (
    ("container_cpu_usage_seconds_total", "cpu_seconds_total", "counter",
     "Cumulative cpu time consumed in seconds."),
    ("container_memory_usage_bytes", "memory_bytes", "gauge",
     "Current memory usage in bytes, including all memory regardless of when it was accessed"),
    ("container_fs_reads_bytes_total", "io_read_bytes_total", "counter",
     "Cumulative count of bytes read"),
    ("container_fs_writes_bytes_total", "io_write_bytes_total", "counter",
     "Cumulative count of bytes written"),
)  # fmt: skip


def samples(r: Readings) -> Iterator[Sample]:
    cg = reading(r, "cgroups", Cgroups)
    if cg is None:
        return
    for name, stats in cg.groups.items():
        labels = (("id", stats.path), ("name", name if stats.kind == "container" else ""))
        for metric, field, typ, help_ in _SAMPLES:
            value = _field(stats, field)
            if value is not None:
                yield Sample(metric, labels, value, typ, help_)


def _field(stats: CgroupStats, field: str) -> float | None:
    value: float | int | None = getattr(stats, field)
    return None if value is None else float(value)


COLLECTOR: Final = Collector(
    "cgroups",
    "Services and containers (cgroup v2 cpu.stat, memory.current, io.stat; slow round)",
    (CGROUPS,),
    METRICS,
    gauges,
    rates,
    samples,
)
