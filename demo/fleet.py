"""The demo fleet's hosts: who they are and how their load moves over time.

Pure: every function takes the time it works at, so a test steps a host through an hour in
microseconds. A host keeps kernel-style counters (cpu jiffies, bytes, sectors) and advances
them by rate x elapsed time, so two consecutive answers always differ by what that much time
at that load would add: the poller's derived rates and percentages come out plausible and
never negative, exactly as from a real machine. A reboot (after an outage) starts the
counters again from a small value, as a real one does.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Final

USER_HZ: Final = 100  # /proc/stat counts cpu time in USER_HZ ticks, 100 on every arch
SECTOR_BYTES: Final = 512  # diskstats always counts 512-byte sectors
KIB: Final = 1024
GIB: Final = 1024**3
MTU_BYTES: Final = 1400  # average packet size the packet counters are derived from


@dataclass(frozen=True)
class Role:
    """What a kind of machine does: its scale and how its load breathes."""

    name: str
    cpus: int
    mem_gib: int
    disk_gib: int
    cpu_base: float  # busy share of all cpus at the quiet point of the cycle, 0..1
    cpu_swing: float  # added at the peak of the cycle
    period_s: float  # one busy/quiet cycle (a compressed "day", so the demo shows it)
    mem_used: float  # share of RAM in use
    net_bytes_s: float  # received per second at the peak; sent is `tx_ratio` of that
    tx_ratio: float
    disk_write_bytes_s: float
    disk_used: float  # share of the root filesystem in use at the start
    fill_bytes_s: float = 0.0  # a filling disk: grows this fast until `cleanup_at`
    cleanup_at: float = 0.97  # ...then a cleanup takes it back to `disk_used`
    drop_share: float = 0.0  # share of received packets dropped (a flaky NIC)
    outage_every_s: float = 0.0  # goes down now and then: every this many seconds...
    outage_s: float = 0.0  # ...for this long, and comes back rebooted


# fmt: off
WEB: Final = Role(
    name="web", cpus=4, mem_gib=8, disk_gib=40, cpu_base=0.15, cpu_swing=0.55, period_s=600,
    mem_used=0.55, net_bytes_s=6e6, tx_ratio=4.0, disk_write_bytes_s=4e5, disk_used=0.35,
)
DB: Final = Role(
    name="db", cpus=8, mem_gib=64, disk_gib=500, cpu_base=0.02, cpu_swing=0.04, period_s=900,
    mem_used=0.82, net_bytes_s=2e5, tx_ratio=1.5, disk_write_bytes_s=1.5e5, disk_used=0.45,
)
WORKER: Final = Role(
    name="worker", cpus=2, mem_gib=4, disk_gib=40, cpu_base=0.30, cpu_swing=0.65, period_s=300,
    mem_used=0.40, net_bytes_s=8e5, tx_ratio=0.3, disk_write_bytes_s=2e6, disk_used=0.30,
)
# fills 200 GiB at 60 MB/s: df shows 84 % (root's 5 % reserve) to full in ~10 minutes,
# through the 85/95 % alerts, then a cleanup starts it again
FILES: Final = Role(
    name="files", cpus=2, mem_gib=4, disk_gib=200, cpu_base=0.05, cpu_swing=0.10, period_s=600,
    mem_used=0.30, net_bytes_s=3e5, tx_ratio=2.0, disk_write_bytes_s=3e6, disk_used=0.80,
    fill_bytes_s=60e6,
)
# drops 1.5 % of what it receives, and is unreachable 45 s of every 4 minutes
EDGE: Final = Role(
    name="edge", cpus=2, mem_gib=2, disk_gib=20, cpu_base=0.10, cpu_swing=0.30, period_s=450,
    mem_used=0.50, net_bytes_s=2e6, tx_ratio=1.0, disk_write_bytes_s=1e5, disk_used=0.20,
    drop_share=0.015, outage_every_s=240, outage_s=45,
)
# fmt: on

# The first few roles give even a 5-host demo one of each kind; then web servers dominate,
# as in most fleets.
_FIRST: Final = (WEB, DB, FILES, EDGE, WORKER)
_THEN: Final = (WEB, WEB, WORKER, WEB, DB, WEB, WORKER, WEB, FILES, EDGE)


def roles(n: int) -> list[Role]:
    return [(_FIRST[i] if i < len(_FIRST) else _THEN[i % len(_THEN)]) for i in range(n)]


def names(fleet: list[Role]) -> list[str]:
    """web-01, web-02, db-01, …: numbered per role."""
    seen: dict[str, int] = {}
    out = []
    for role in fleet:
        seen[role.name] = seen.get(role.name, 0) + 1
        out.append(f"{role.name}-{seen[role.name]:02d}")
    return out


@dataclass
class Counters:
    """The cumulative numbers the kernel keeps, advanced by `Host.advance`."""

    cpu: list[float] = field(default_factory=lambda: [0.0] * 8)  # user..steal, in ticks
    ctxt: float = 0.0
    forks: float = 0.0
    rx_bytes: float = 0.0
    tx_bytes: float = 0.0
    rx_packets: float = 0.0
    tx_packets: float = 0.0
    rx_drop: float = 0.0
    reads: float = 0.0
    writes: float = 0.0
    read_sectors: float = 0.0
    write_sectors: float = 0.0
    io_ms: float = 0.0
    in_segs: float = 0.0
    out_segs: float = 0.0
    retrans: float = 0.0
    cpu_pressure_us: float = 0.0
    io_pressure_us: float = 0.0


# indices into Counters.cpu, in /proc/stat's column order
USER, NICE, SYSTEM, IDLE, IOWAIT, IRQ, SOFTIRQ, STEAL = range(8)


@dataclass
class Snapshot:
    """What the host's /proc says at one moment (gauges here, counters in `counters`)."""

    name: str
    role: Role
    uptime_s: float
    boot_epoch: float
    busy: float  # busy share of all cpus now, 0..1
    load1: float
    load5: float
    load15: float
    mem_total_kib: int
    mem_available_kib: int
    mem_free_kib: int
    disk_used_kib: int
    disk_total_kib: int
    established: int
    counters: Counters


class Host:
    """One simulated machine. `advance(now)` moves it to `now`; `up(now)` says whether it
    answers at all (an edge host drops off the network now and then)."""

    def __init__(self, name: str, role: Role, seed: int, start: float, epoch: float) -> None:
        self.name = name
        self.role = role
        self._rng = random.Random(seed)
        self._phase = self._rng.uniform(0, role.period_s)
        self._start = start
        self._last = start
        # a machine that has been up for days; its counters start from what days add up to
        self._booted = start - self._rng.uniform(2, 40) * 86400
        self._epoch_offset = epoch - start  # monotonic `now` -> wall-clock seconds
        self._c = Counters()
        self._disk_used = role.disk_used * role.disk_gib * GIB
        self._loads = [role.cpu_base * role.cpus] * 3
        self._was_down = False
        self._advance_by(start - self._booted, start, busy=role.cpu_base)

    def up(self, now: float) -> bool:
        role = self.role
        if not role.outage_every_s:
            return True
        into = (now - self._start) % role.outage_every_s
        return into < role.outage_every_s - role.outage_s

    def busy(self, now: float) -> float:
        role = self.role
        wave = 0.5 + 0.5 * math.sin(2 * math.pi * (now + self._phase) / role.period_s)
        jitter = self._rng.uniform(-0.03, 0.03)
        return min(0.98, max(0.005, role.cpu_base + role.cpu_swing * wave + jitter))

    def advance(self, now: float) -> Snapshot:
        """Move to `now` (never backwards) and describe the host there."""
        if not self.up(now):
            self._was_down = True
        elif self._was_down:  # back from an outage: it rebooted, counters start again
            self._was_down = False
            self._booted = now - self._rng.uniform(5, 20)
            self._c = Counters()
            self._last = self._booted
        busy = self.busy(now)
        dt = max(0.0, now - self._last)
        self._advance_by(dt, now, busy)
        self._last = max(self._last, now)
        return self._snapshot(now, busy)

    def _advance_by(self, dt: float, now: float, busy: float) -> None:
        role, c = self.role, self._c
        ticks = dt * USER_HZ * role.cpus
        shares = (0.70, 0.01, 0.22, 0.0, 0.02, 0.01, 0.03, 0.01)  # of busy time, by mode
        for mode, share in enumerate(shares):
            c.cpu[mode] += ticks * busy * share
        io_wait = 0.02 * (1 - busy)
        c.cpu[IOWAIT] += ticks * io_wait
        c.cpu[IDLE] += ticks * max(0.0, 1 - busy - io_wait)
        traffic = busy / max(role.cpu_base + role.cpu_swing, 0.01)
        rx = role.net_bytes_s * traffic * dt
        c.rx_bytes += rx
        c.tx_bytes += rx * role.tx_ratio
        c.rx_packets += rx / MTU_BYTES
        c.tx_packets += rx * role.tx_ratio / MTU_BYTES
        c.rx_drop += rx / MTU_BYTES * role.drop_share
        written = role.disk_write_bytes_s * (0.3 + traffic) * dt
        c.write_sectors += written / SECTOR_BYTES
        c.writes += written / 65536
        c.read_sectors += written * 0.4 / SECTOR_BYTES
        c.reads += written * 0.4 / 32768
        c.io_ms += dt * 1000 * min(0.9, 0.05 + 0.5 * traffic * role.disk_write_bytes_s / 3e6)
        c.ctxt += dt * role.cpus * (800 + 12000 * busy)
        c.forks += dt * (0.5 + 20 * busy)
        c.in_segs += rx / MTU_BYTES
        c.out_segs += rx * role.tx_ratio / MTU_BYTES
        c.retrans += rx * role.tx_ratio / MTU_BYTES * (0.001 + role.drop_share)
        c.cpu_pressure_us += dt * 1e6 * max(0.0, busy - 0.6) * 0.5
        c.io_pressure_us += dt * 1e6 * io_wait
        self._fill(dt)
        # load averages follow the run queue with the kernel's 1/5/15-minute decay
        runnable = busy * role.cpus * self._rng.uniform(0.8, 1.2)
        for i, window in enumerate((60.0, 300.0, 900.0)):
            keep = math.exp(-dt / window)
            self._loads[i] = self._loads[i] * keep + runnable * (1 - keep)

    def _fill(self, dt: float) -> None:
        role = self.role
        if not role.fill_bytes_s:
            return
        total = role.disk_gib * GIB
        self._disk_used += role.fill_bytes_s * dt
        if self._disk_used > role.cleanup_at * total:  # logrotate, at last
            self._disk_used = role.disk_used * total

    def _snapshot(self, now: float, busy: float) -> Snapshot:
        role = self.role
        total = role.mem_gib * GIB // KIB
        used = role.mem_used + self._rng.uniform(-0.01, 0.01)
        available = int(total * (1 - used))
        return Snapshot(
            name=self.name,
            role=role,
            uptime_s=now - self._booted,
            boot_epoch=self._booted + self._epoch_offset,
            busy=busy,
            load1=self._loads[0],
            load5=self._loads[1],
            load15=self._loads[2],
            mem_total_kib=total,
            mem_available_kib=available,
            mem_free_kib=int(available * 0.3),
            disk_used_kib=int(self._disk_used // KIB),
            disk_total_kib=role.disk_gib * GIB // KIB,
            established=int(5 + 400 * busy) if role is WEB else int(3 + 40 * busy),
            counters=self._c,
        )
