"""Run the real probe on THIS machine and compare parsed values with psutil's.

psutil is read right before and right after the probe, so a counter parsed from the
probe must lie between the two reads; gauges get a tolerance for the time in between.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest

from parsers.cmd_df import Df
from parsers.proc_diskstats import Diskstats
from parsers.proc_loadavg import LoadAvg
from parsers.proc_meminfo import Meminfo
from parsers.proc_net_dev import NetDev
from parsers.proc_stat import ProcStat
from poller import probe
from poller.collectors.registry import parse_all

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("sh") is None, reason="needs Linux sh"
)
TICK = 0.01  # one USER_HZ jiffy: psutil and the parser round the same ticks


@dataclass
class Reads:
    before: dict[str, Any]
    readings: dict[str, object]
    after: dict[str, Any]


def _psutil() -> dict[str, Any]:
    return {
        "cpu": psutil.cpu_times(),
        "mem": psutil.virtual_memory(),
        "net": psutil.net_io_counters(pernic=True),
        "disk": psutil.disk_io_counters(perdisk=True),
        "load": psutil.getloadavg(),
        "boot": psutil.boot_time(),
        "root": psutil.disk_usage("/"),
    }


@pytest.fixture(scope="module")
def reads() -> Reads:
    nonce = probe.new_nonce()
    before = _psutil()
    out = subprocess.run(
        ["sh"],
        input=probe.script(nonce, slow=True),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    after = _psutil()
    frames = probe.split_output(out.stdout, nonce)
    assert frames.complete
    parsed = parse_all(frames.sections)
    assert parsed.failures == {}
    return Reads(before, parsed.readings, after)


def _between(value: float, low: float, high: float, slack: float = 0.0) -> None:
    assert low - slack <= value <= high + slack, (low, value, high)


def test_cpu_times_lie_between_two_psutil_reads(reads: Reads) -> None:
    stat = reads.readings["stat"]
    assert isinstance(stat, ProcStat) and stat.total is not None
    for mode in ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"):
        b, a = getattr(reads.before["cpu"], mode), getattr(reads.after["cpu"], mode)
        _between(getattr(stat.total, mode), b, a, slack=TICK)
    assert len(stat.cpus) == psutil.cpu_count()


def test_memory_total_and_available(reads: Reads) -> None:
    mem = reads.readings["meminfo"]
    assert isinstance(mem, Meminfo)
    assert mem.total_bytes == reads.before["mem"].total
    avail = mem.available_bytes
    assert avail is not None
    lo = min(reads.before["mem"].available, reads.after["mem"].available)
    hi = max(reads.before["mem"].available, reads.after["mem"].available)
    # other processes allocate and free meanwhile (a busy CI box): allow 2% of RAM
    _between(avail, lo, hi, slack=0.02 * reads.before["mem"].total)


def test_network_bytes_per_interface(reads: Reads) -> None:
    net = reads.readings["net_dev"]
    assert isinstance(net, NetDev)
    assert set(net.interfaces) == set(reads.before["net"])
    for name, counters in net.interfaces.items():
        b, a = reads.before["net"][name], reads.after["net"][name]
        _between(counters.rx_bytes_total, b.bytes_recv, a.bytes_recv)
        _between(counters.tx_bytes_total, b.bytes_sent, a.bytes_sent)


def test_disk_bytes_per_device(reads: Reads) -> None:
    disks = reads.readings["diskstats"]
    assert isinstance(disks, Diskstats)
    compared = 0
    for name, b in reads.before["disk"].items():
        if name in disks.devices:
            a, d = reads.after["disk"][name], disks.devices[name]
            _between(d.read_bytes_total, b.read_bytes, a.read_bytes)
            _between(d.written_bytes_total, b.write_bytes, a.write_bytes)
            _between(d.reads_completed_total, b.read_count, a.read_count)
            compared += 1
    assert compared > 0


def test_load_average_and_boot_time(reads: Reads) -> None:
    load, stat = reads.readings["loadavg"], reads.readings["stat"]
    assert isinstance(load, LoadAvg) and isinstance(stat, ProcStat)
    for i, value in enumerate((load.load1, load.load5, load.load15)):
        lo = min(reads.before["load"][i], reads.after["load"][i])
        hi = max(reads.before["load"][i], reads.after["load"][i])
        _between(value, lo, hi, slack=0.05)
    assert stat.boot_time_seconds is not None
    assert abs(stat.boot_time_seconds - reads.before["boot"]) <= 1


def test_root_filesystem_matches_statvfs(reads: Reads) -> None:
    df = reads.readings["df"]
    assert isinstance(df, Df)
    root = next(r for r in df.rows if r.mountpoint == "/")
    before, after = reads.before["root"], reads.after["root"]
    assert root.total == before.total
    assert root.available is not None
    lo, hi = min(before.free, after.free), max(before.free, after.free)
    _between(root.available, lo, hi, slack=0.01 * before.total)  # others write files
