"""A site of its own for the Services and Containers tables: one host whose cgroup points
went through the real pipeline (kernel-format cgroup files -> parsers.sys_fs_cgroup ->
poller.derive with the cgroups collector -> the writer, rounding as the catalog says) for
one hour of slow rounds every 2 minutes, ending at NOW.

Services: web.service busy (about 60 % of a CPU), db.service idle but holding 2 GiB and
writing, cron.service idle, and one whose name is HTML (the page must show it as text).
Containers: two docker containers, one busy. 30 services more than the table shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from livesite import LiveServer, free_port, kept_forever, start_server

from api.context import AppContext, QueryPool, WebSettings
from api.websettings import RateLimitSettings
from parsers.sys_fs_cgroup import parse_files
from poller.collectors import cgroups
from poller.derive import Snapshot, derive
from poller.inventory import Host, Inventory
from store.db import connect
from store.settings import StoreSettings
from store.writer import Writer

NOW = 1_790_006_400.0  # 2026-09-21 16:00 UTC; the server's clock is pinned here
HOST = "svc-1"
ROUND_S = 120
ROUNDS = 31  # an hour of slow rounds
XSS_UNIT = "<img src=x onerror=window.__xss=4>.service"
BUSY_ID = "c0ffee" * 10 + "abcd"
IDLE_ID = "0123456789ab" + "f" * 52
GiB = 1024**3
ROOT = "/sys/fs/cgroup"
# unit -> (CPU share of one CPU, memory bytes, read B/s, written B/s)
SERVICES = {
    "web.service": (0.6, 300 * 1024**2, 0, 4096),
    "db.service": (0.02, 2 * GiB, 1024 * 1024, 512 * 1024),
    "cron.service": (0.0, 4 * 1024**2, 0, 0),
    XSS_UNIT: (0.01, 1024**2, 0, 0),
    **{f"idle{i:02d}.service": (0.001, 1024**2 + i, 0, 0) for i in range(30)},
}
CONTAINERS = {
    f"system.slice/docker-{BUSY_ID}.scope": (1.5, 900 * 1024**2, 2048, 8192),
    f"system.slice/docker-{IDLE_ID}.scope": (0.0, 50 * 1024**2, 0, 0),
}


def _cpu_seconds(share: float, elapsed: float) -> float:
    """CPU seconds used after `elapsed` s at `share` of a CPU swinging +-50 % over half an
    hour (the integral of share * (1 + 0.5 sin(2 pi t / P))), so sparklines have a shape."""
    w = 2 * math.pi / 1800
    return share * (elapsed + 0.5 * (1 - math.cos(w * elapsed)) / w)


def files_at(elapsed: float, uptime: float) -> list[tuple[str, str]]:
    """The files the probe's glob section would hold `elapsed` seconds in, in the kernel's
    formats (cpu.stat, memory.current, io.stat)."""
    out = [("/proc/uptime", f"{uptime:.2f} 100.00\n")]
    places = {f"system.slice/{u}": v for u, v in SERVICES.items()} | CONTAINERS
    for place, (cpu, memory, read, written) in places.items():
        d = f"{ROOT}/{place}"
        usec = int(_cpu_seconds(cpu, elapsed) * 1_000_000) + 1000
        out.append((f"{d}/cpu.stat", f"usage_usec {usec}\nuser_usec {usec}\nsystem_usec 0\n"))
        out.append((f"{d}/memory.current", f"{memory}\n"))
        io = f"8:0 rbytes={int(read * elapsed)} wbytes={int(written * elapsed)} rios=1 wios=1\n"
        out.append((f"{d}/io.stat", io if read or written else ""))
    return out


def write(settings: StoreSettings) -> None:
    writer = Writer(settings)
    writer.start()
    previous: Snapshot | None = None
    start = NOW - (ROUNDS - 1) * ROUND_S
    for i in range(ROUNDS):
        ts = start + i * ROUND_S
        reading = parse_files(files_at(i * ROUND_S, 5000.0 + i * ROUND_S))
        current = Snapshot(ts, {"cgroups": reading})
        writer.submit(derive(HOST, previous, current, (cgroups.COLLECTOR,)))
        previous = current
    assert writer.close(60), "writer did not flush"


@dataclass
class CgroupSite:
    server: LiveServer
    settings: StoreSettings

    @property
    def url(self) -> str:
        return self.server.url


def start(chdb_dir: Path, data_dir: Path) -> Iterator[CgroupSite]:
    settings = kept_forever(chdb_dir, data_dir / "spool", "cgroups")
    write(settings)
    ctx = AppContext(
        settings=WebSettings(port=free_port(), rate_limit=RateLimitSettings(enabled=False)),
        queries=QueryPool(lambda: connect(settings)),
        inventory=Inventory(
            path=Path("inventory.yaml"), hosts=(Host(name=HOST, address="10.0.2.1"),)
        ),
        data_dir=data_dir,
        clock=lambda: NOW,
    )
    server = start_server(ctx)
    try:
        yield CgroupSite(server, settings)
    finally:
        server.shutdown()
        ctx.queries.close()
        client = connect(settings)
        client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
        client.close()
