"""Realistic /proc-derived series for the store benchmarks (deterministic, seeded).

Each host gets ~80 series shaped like what poller.derive stores:
- percentages computed from integer jiffy/block counters (full float mantissa, like a real
  100 * d_busy / d_total), with daily cycles and noise;
- per-second rates: integer counter deltas divided by a jittered poll interval (10 s +- 50
  ms), bursty (log-normal), many error/drop rates mostly 0;
- gauges: load averages with 2 decimals, memory bytes in 4 KiB pages that drift slowly,
  filesystem free bytes, open fds, process counts, PSI (2 decimals, mostly 0), uptime.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator

POLL_S = 10
Gen = Callable[[random.Random, int, list[float]], list[float]]


def _percent_from_counters(level: float, swing: float) -> Gen:
    def gen(rng: random.Random, n: int, dts: list[float]) -> list[float]:
        out = []
        for i in range(n):
            total = round(dts[i] * 100 * 8)  # jiffies of 8 CPUs in the interval
            frac = level + swing * math.sin(i / 8640 * 2 * math.pi) + rng.gauss(0, 0.03)
            busy = max(0, min(total, round(total * max(0.0, frac))))
            out.append(100.0 * busy / total)
        return out
    return gen


def _rate(level: float, zero_share: float = 0.0) -> Gen:
    def gen(rng: random.Random, n: int, dts: list[float]) -> list[float]:
        out = []
        for i in range(n):
            if rng.random() < zero_share:
                out.append(0.0)
                continue
            delta = round(level * POLL_S * rng.lognormvariate(0, 0.6))
            out.append(delta / dts[i])
        return out
    return gen


def _walk(start: float, step: float, quantum: float, change_share: float) -> Gen:
    def gen(rng: random.Random, n: int, dts: list[float]) -> list[float]:
        value, out = start, []
        for _ in range(n):
            if rng.random() < change_share:
                value = max(0.0, value + rng.gauss(0, step))
            out.append(round(value / quantum) * quantum)
        return out
    return gen


def _load(level: float) -> Gen:
    def gen(rng: random.Random, n: int, dts: list[float]) -> list[float]:
        value, out = level, []
        for _ in range(n):
            value = max(0.0, value * 0.92 + 0.08 * level * rng.lognormvariate(0, 0.5))
            out.append(round(value, 2))
        return out
    return gen


def _uptime(rng: random.Random, n: int, dts: list[float]) -> list[float]:
    up, out = rng.uniform(1e5, 1e7), []
    for i in range(n):
        up += dts[i]
        out.append(round(up, 2))
    return out


def _catalog() -> list[tuple[str, str, Gen]]:
    series: list[tuple[str, str, Gen]] = []
    for mode, level in (("busy", 0.25), ("user", 0.18), ("system", 0.05), ("iowait", 0.01),
                        ("steal", 0.002), ("idle", 0.75)):
        series.append((f"cpu_{mode}_percent", "", _percent_from_counters(level, level / 3)))
    series += [("memory_used_percent", "", _percent_from_counters(0.6, 0.05)),
               ("swap_used_percent", "", _percent_from_counters(0.02, 0.0))]
    for dev in ("eth0", "eth1"):
        for what, level, zeros in (("rx_bytes", 2e6, 0), ("tx_bytes", 8e5, 0),
                                   ("rx_packets", 3e3, 0), ("tx_packets", 2e3, 0),
                                   ("rx_errors", 0.1, 0.98), ("tx_errors", 0.1, 0.99),
                                   ("rx_dropped", 0.5, 0.9), ("tx_dropped", 0.1, 0.99)):
            series.append((f"network_{what}_per_second", dev, _rate(level, zeros)))
    for dev in ("sda", "nvme0n1"):
        for what, level, zeros in (("read_bytes", 5e5, 0.3), ("written_bytes", 1e6, 0.1),
                                   ("reads", 20, 0.3), ("writes", 60, 0.1)):
            series.append((f"disk_{what}_per_second", dev, _rate(level, zeros)))
        series.append(("disk_util_percent", dev, _percent_from_counters(0.05, 0.02)))
    for what, level in (("context_switches", 8e3), ("interrupts", 5e3), ("forks", 5),
                        ("tcp_retransmits", 0.5), ("tcp_active_opens", 3)):
        series.append((f"{what}_per_second", "", _rate(level, 0.2 if level < 1 else 0)))
    for name, level in (("load1", 1.5), ("load5", 1.4), ("load15", 1.3),
                        ("load1_per_core", 0.2)):
        series.append((name, "", _load(level)))
    for name, start, step, share in (
        ("memory_available_bytes", 6e9, 5e7, 0.8), ("memory_free_bytes", 1e9, 4e7, 0.9),
        ("memory_cached_bytes", 4e9, 2e7, 0.7), ("memory_buffers_bytes", 3e8, 1e6, 0.3),
        ("swap_free_bytes", 2e9, 4096, 0.01), ("memory_dirty_bytes", 5e6, 2e6, 0.9),
    ):
        series.append((name, "", _walk(start, step, 4096, share)))
    for mount in ("/", "/var", "/home"):
        series.append(("filesystem_free_bytes", mount, _walk(5e10, 1e6, 4096, 0.5)))
        series.append(("filesystem_used_percent", mount, _percent_from_counters(0.4, 0.0)))
        series.append(("inodes_free", mount, _walk(3e6, 20, 1, 0.3)))
        series.append(("inodes_used_percent", mount, _percent_from_counters(0.1, 0.0)))
    for name, start, step, share in (("open_fds", 3000, 20, 0.5), ("procs_running", 2, 1, 0.8),
                                     ("procs_blocked", 0, 0.3, 0.1),
                                     ("sockets_used", 400, 5, 0.6),
                                     ("tcp_established", 120, 3, 0.6)):
        series.append((name, "", _walk(start, step, 1, share)))
    for res in ("cpu", "memory", "io"):
        for window in ("10", "60", "300"):
            series.append((f"pressure_{res}_some_avg{window}", "", _load(0.3 if res == "cpu"
                                                                         else 0.05)))
    series.append(("pressure_memory_full_avg10", "", _walk(0, 0.05, 0.01, 0.02)))
    series.append(("uptime_seconds", "", _uptime))
    return series


CATALOG = _catalog()


def host_series(host: int, samples: int, start: int) -> Iterator[tuple[str, str, list[int],
                                                                       list[float]]]:
    """(metric, dev, ts, values) for every series of one host."""
    rng = random.Random(host)
    dts = [POLL_S + rng.uniform(-0.05, 0.05) for _ in range(samples)]
    ts, t = [], float(start + rng.uniform(0, POLL_S))
    for dt in dts:
        t += dt
        ts.append(int(t))
    for metric, dev, gen in CATALOG:
        yield metric, dev, ts, gen(random.Random(f"{host}/{metric}/{dev}"), samples, dts)
