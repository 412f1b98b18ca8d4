"""Synthetic but realistic polls, shared by the API tests, browser tests and bench/web_api.py.

Each host gets a daily CPU cycle with noise, memory that drifts, a few mounts, disks and
interfaces, TCP and PSI figures, every value in the catalog's units and shapes (percent
modes summing to the busy share, rates ≥ 0, uptime growing). Values are deterministic per
(host, seed) so assertions can check what was written.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from poller.catalog import METRICS
from poller.points import HostInfo, HostState, Point, PollStatus

GiB = 1024**3


@dataclass(frozen=True)
class HostShape:
    name: str
    mounts: Sequence[str] = ("/", "/var")
    disks: Sequence[str] = ("sda",)
    ifaces: Sequence[str] = ("eth0", "lo")
    mem_total: float = 16 * GiB
    cpus: int = 4
    boot: float = 1_790_000_000.0  # late September 2026: weeks of uptime, not years
    base_cpu: float = 20.0  # average busy %
    disk_bytes: float = 2e6  # mean read rate per disk (writes 2.5x), bytes/s
    net_bytes: float = 1e6  # mean receive rate per interface (loopback 1 %), bytes/s
    # cpu_core_busy_percent per core: off by default, as for hosts polled before per-core
    # points were stored (and so every other test's points stay what they were)
    per_core: bool = False
    # host_info.failed_units: None as from a host without systemd
    failed_units: tuple[str, ...] | None = None


def poll(shape: HostShape, ts: float, rng: random.Random) -> list[Point]:
    """One poll's points for one host at `ts`."""
    h = shape.name
    day = math.sin(2 * math.pi * (ts % 86400) / 86400)
    busy = max(0.5, min(99.0, shape.base_cpu * (1 + 0.5 * day) + rng.gauss(0, 3)))
    modes = {
        "user": 0.6,
        "system": 0.25,
        "iowait": 0.08,
        "softirq": 0.04,
        "irq": 0.01,
        "steal": 0.01,
        "nice": 0.01,
    }
    out = [Point(f"cpu_{m}_percent", h, "", ts, busy * share) for m, share in modes.items()]
    out.append(Point("cpu_busy_percent", h, "", ts, busy - busy * modes["iowait"]))
    out.append(Point("cpu_idle_percent", h, "", ts, 100 - busy))
    # derived from values already drawn, not from rng: adding series keeps the others' values
    out.append(Point("cpu_core_busy_max_percent", h, "", ts, min(100.0, busy * 1.6)))
    if shape.per_core:
        # cores spread from 0.4x to 1.6x the average, the last one the busiest (as the max)
        for i in range(shape.cpus):
            share = 0.4 + 1.2 * i / max(1, shape.cpus - 1)
            out.append(Point("cpu_core_busy_percent", h, f"cpu{i}", ts, min(100.0, busy * share)))
    load = busy / 100 * shape.cpus * (1 + rng.random() * 0.2)
    for name, value in (("load1", load), ("load5", load * 0.9), ("load15", load * 0.8)):
        out.append(Point(name, h, "", ts, value))
    out.append(Point("load1_per_core", h, "", ts, load / shape.cpus))
    used = shape.mem_total * (0.45 + 0.1 * day + rng.random() * 0.02)
    out += [
        Point("mem_total_bytes", h, "", ts, shape.mem_total),
        Point("mem_used_bytes", h, "", ts, used),
        Point("mem_available_bytes", h, "", ts, shape.mem_total - used),
        Point("mem_used_percent", h, "", ts, 100 * used / shape.mem_total),
        Point("mem_cached_bytes", h, "", ts, shape.mem_total * 0.3),
        Point("mem_buffers_bytes", h, "", ts, shape.mem_total * 0.02),
        Point("swap_used_bytes", h, "", ts, 256 * 1024**2),
        Point("swap_total_bytes", h, "", ts, 2 * GiB),
    ]
    for i, mount in enumerate(shape.mounts):
        pct = 30 + 25 * i + (ts % 86400) / 86400 * 2
        out += [
            Point("fs_used_percent", h, mount, ts, pct),
            Point("fs_size_bytes", h, mount, ts, 100 * GiB),
            Point("fs_avail_bytes", h, mount, ts, (100 - pct) * GiB),
        ]
    for disk in shape.disks:
        read = abs(rng.gauss(shape.disk_bytes, shape.disk_bytes / 4))
        write = abs(rng.gauss(2.5 * shape.disk_bytes, shape.disk_bytes / 2))
        util = min(100.0, abs(rng.gauss(12, 4)))
        out += [
            Point("disk_read_bytes_per_second", h, disk, ts, read),
            Point("disk_write_bytes_per_second", h, disk, ts, write),
            Point("disk_util_percent", h, disk, ts, util),
            # 64 KiB reads, 32 KiB writes; latency grows with utilisation
            Point("disk_reads_per_second", h, disk, ts, read / 65536),
            Point("disk_writes_per_second", h, disk, ts, write / 32768),
            Point("disk_read_await_seconds", h, disk, ts, 0.0004 + util / 5000),
            Point("disk_write_await_seconds", h, disk, ts, 0.0008 + util / 2500),
        ]
    for iface in shape.ifaces:
        scale = shape.net_bytes / 100 if iface == "lo" else shape.net_bytes
        out += [
            Point("net_rx_bytes_per_second", h, iface, ts, abs(rng.gauss(scale, scale / 5))),
            Point("net_tx_bytes_per_second", h, iface, ts, abs(rng.gauss(scale / 2, scale / 9))),
        ]
    out += [
        Point("tcp_established", h, "", ts, float(120 + rng.randint(-5, 5))),
        Point("tcp_time_wait", h, "", ts, float(40 + rng.randint(0, 10))),
        Point("tcp_retransmits_per_second", h, "", ts, abs(rng.gauss(0.5, 0.3))),
        Point("tcp_listen_drops_per_second", h, "", ts, 0.0),
        Point("tcp_in_errors_per_second", h, "", ts, 0.0),
        Point("uptime_seconds", h, "", ts, ts - shape.boot),
        Point("open_fds", h, "", ts, 2048.0),
    ]
    for res in ("cpu_some", "memory_some", "memory_full", "io_some", "io_full"):
        out.append(Point(f"psi_{res}_avg10", h, "", ts, max(0.0, rng.gauss(1.0, 0.5))))
    assert all(p.metric in METRICS for p in out), "synth drifted from the catalog"
    return out


def status(
    shape: HostShape, ts: float, state: HostState = HostState.OK, reason: str = ""
) -> PollStatus:
    return PollStatus(shape.name, ts, state, reason, 0.05)


def info(shape: HostShape, ts: float) -> HostInfo:
    return HostInfo(
        shape.name,
        ts,
        os_name="Debian GNU/Linux 12 (bookworm)",
        kernel="6.1.0-26-amd64",
        arch="x86_64",
        cpus=shape.cpus,
        cpu_model="AMD EPYC 7B13",
        memory_bytes=shape.mem_total,
        boot_time=shape.boot,
        failed_units=shape.failed_units,
    )


def history(
    shape: HostShape, start: float, end: float, every: float, seed: int = 0
) -> Iterator[list[Point]]:
    """Polls from start to end, `every` seconds apart (whole seconds: the store keeps seconds)."""
    rng = random.Random(f"{shape.name}/{seed}")
    ts = math.floor(start)
    while ts < end:
        yield poll(shape, ts, rng)
        ts += every
