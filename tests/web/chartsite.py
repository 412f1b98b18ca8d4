"""A site of its own for the chart tests: hosts written at a fixed epoch into their own
database, served with the app's clock pinned to that epoch and alert rules in effect.

- rates-1: two hours of 10 s polls ending at NOW, with a 10-minute outage; disks near
  20/50 MiB/s, eth0 and ifb0 near 40 KiB/s, lo under 1 KiB/s; and the same two hours one day
  and one week earlier at 60 s (for "compare with");
- new-1: one single poll, two minutes before NOW (a host added a moment ago);
- cores-1: 20 cpus with per-core busy shares, the last hour at 10 s (rates-1 and new-1
  have none, as hosts polled before per-core points were stored), TCP sockets per
  state every 10 minutes (tcp_states), and a full conntrack table for five minutes
  (drops).
Rules: cpu_hot (cpu_busy_percent > 80 warning, > 95 critical; cores-1 90 and 98); fs_full
(fs_used_percent 85/95) with rates-1 overridden to warning 70; mem_high (mem_used_percent
30/50, synth's memory at NOW is 36-38 %) with new-1 overridden to critical 35; disk_slow
(disk_read_await_seconds 0.5 s / 1 s, a hundred times synth's 2-5 ms).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import synth
from livesite import LiveServer, free_port, kept_forever, start_server

from alerts.config import AlertsConfig, Rule
from alerts.engine import AlertEngine
from api.context import AppContext, QueryPool, WebSettings
from api.websettings import RateLimitSettings
from parsers.cmd_tcp_states import STATES
from poller.inventory import Host, Inventory
from poller.points import HostState, Point
from store.db import connect
from store.settings import StoreSettings
from store.writer import Writer

NOW = 1_790_006_400.0  # 2026-09-21 16:00 UTC; the server's clock is pinned here
DAY = 86_400.0
OUTAGE = (NOW - 3600, NOW - 3000)  # no polls in between
MiB = 1024**2
KiB = 1024

RATES = synth.HostShape(
    "rates-1", disks=("sda",), ifaces=("eth0", "lo", "ifb0"), disk_bytes=20 * MiB,
    net_bytes=40 * KiB,
)
NEW = synth.HostShape("new-1")
CORES = synth.HostShape("cores-1", cpus=20, per_core=True)


def rules() -> AlertsConfig:
    return AlertsConfig(
        defaults=False,
        rules=[
            Rule.model_validate(
                {
                    "name": "cpu_hot",
                    "metric": "cpu_busy_percent",
                    "warning": 80,
                    "critical": 95,
                    # the shipped cpu_busy's levels: lines closer than a line of text
                    "hosts": {"cores-1": {"warning": 90, "critical": 98}},
                }
            ),
            Rule.model_validate(
                {
                    "name": "fs_full",
                    "metric": "fs_used_percent",
                    "warning": 85,
                    "critical": 95,
                    "hosts": {"rates-1": {"warning": 70}},
                }
            ),
            Rule.model_validate(
                {
                    "name": "mem_high",
                    "metric": "mem_used_percent",
                    "warning": 30,
                    "critical": 50,
                    "hosts": {"new-1": {"critical": 35}},
                }
            ),
            Rule.model_validate(
                {
                    "name": "disk_slow",
                    "metric": "disk_read_await_seconds",
                    "warning": 0.5,
                    "critical": 1,
                }
            ),
        ],
    )


@dataclass
class ChartSite:
    server: LiveServer
    settings: StoreSettings

    @property
    def url(self) -> str:
        return self.server.url


def _write(settings: StoreSettings) -> None:
    writer = Writer(settings, catalog={})  # no rounding: values as written
    writer.start()
    for points in synth.history(RATES, NOW - 7200, NOW, 10):
        if OUTAGE[0] <= points[0].ts < OUTAGE[1]:
            continue
        writer.submit(points)
        writer.submit_status(synth.status(RATES, points[0].ts))
    for back in (DAY, 7 * DAY):
        for points in synth.history(RATES, NOW - back - 7200, NOW - back, 60, seed=int(back)):
            writer.submit(points)
    for points in synth.history(NEW, NOW - 120, NOW - 119, 10):
        writer.submit(points)
        writer.submit_status(synth.status(NEW, points[0].ts, HostState.OK))
    for points in synth.history(CORES, NOW - 3600, NOW, 10):
        writer.submit(points)
        writer.submit_status(synth.status(CORES, points[0].ts))
    writer.submit(tcp_states())
    writer.submit(drops())
    for shape in (RATES, NEW, CORES):
        writer.submit_host_info(synth.info(shape, NOW))
    assert writer.close(60), "writer did not flush"


TCP_STEP = 600.0  # the tcpstat section's cadence: every 5th slow round at 10 s x 12


def tcp_states() -> list[Point]:
    """cores-1's sockets per state over the last hour, one reading every TCP_STEP: a
    CLOSE_WAIT leak (10 more each reading) beside a steady established count."""
    out = []
    for k in range(6):
        ts = NOW - 3600 + 30 + k * TCP_STEP
        counts = dict.fromkeys(STATES, 0)  # every state is stored, zeros too
        counts.update(established=120, close_wait=10 * k, listen=4, time_wait=30 + k % 2)
        out += [Point("tcp_connections", "cores-1", st, ts, n) for st, n in counts.items()]
    return out


FULL_TABLE = (NOW - 1800, NOW - 1500)  # cores-1's conntrack table is full


def drops() -> list[Point]:
    """cores-1's kernel drops every 10 s over the last hour: none from the backlog, a
    steady 0.2/s of failed conntrack inserts, and while the table is full (FULL_TABLE)
    250 entries/s evicted and 12.5 packets/s dropped."""
    out = []
    for k in range(360):
        ts = NOW - 3600 + 10 * k
        full = FULL_TABLE[0] <= ts < FULL_TABLE[1]
        values = {
            "softnet_dropped_per_second": 0.0,
            "conntrack_drops_per_second": 12.5 if full else 0.0,
            "conntrack_early_drops_per_second": 250.0 if full else 0.0,
            "conntrack_insert_failed_per_second": 0.2,
        }
        out += [Point(m, "cores-1", "", ts, v) for m, v in values.items()]
    return out


def start(chdb_dir: Path, data_dir: Path) -> Iterator[ChartSite]:
    settings = kept_forever(chdb_dir, data_dir / "spool", "charts")
    _write(settings)
    hosts = (
        Host(name="rates-1", interval=10, address="10.0.1.1", groups=("web",)),
        Host(name="new-1", interval=10, address="10.0.1.2", groups=("web",)),
        Host(name="cores-1", interval=10, address="10.0.1.3", groups=("db",)),
    )
    config = rules()
    ctx = AppContext(
        # a page load fetches its charts in batches, and a module of browser tests shares
        # one server and one client address: the request budget (covered by
        # tests/api/test_rate_limit.py) would answer some of them 429 here
        settings=WebSettings(port=free_port(), rate_limit=RateLimitSettings(enabled=False)),
        queries=QueryPool(lambda: connect(settings)),
        inventory=Inventory(path=Path("inventory.yaml"), hosts=hosts),
        data_dir=data_dir,
        clock=lambda: NOW,
        # what the charts need of an alerts runtime: the engine and its effective rules
        alerts=SimpleNamespace(engine=AlertEngine(config, hosts, clock=lambda: NOW)),
    )
    server = start_server(ctx)
    try:
        yield ChartSite(server, settings)
    finally:
        server.shutdown()
        ctx.queries.close()
        client = connect(settings)
        client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
        client.close()
