"""The test fleet: five hosts written once through the real writer into the real embedded
store. Shared by tests/api and tests/web (imported by both conftests).

chDB allows one data directory per process (store/db.py): the fleet is a database of its
own in the run's shared directory (`chdb_dir`, tests/conftest.py).

Time: the fleet's history ends at a fixed instant, FLEET_NOW, never at the wall clock, and
the apps under test read that instant through `AppContext.clock` (`frozen_clock`). So the
same rows and the same answers come back at any hour of the day (synth's daily cycle puts
memory anywhere from 35 % to 57 % over a day) and however long the session has run.
Retention is ten years so that ClickHouse's TTL, which does read the real clock, never
removes rows of a fixed past instant.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import synth

from poller.inventory import Host, Inventory
from poller.points import HostState
from store.db import connect
from store.settings import RetentionSettings, StoreSettings
from store.writer import Writer

XSS_IFACE = "<script>window.__xss=1</script>"
XSS_MOUNT = '/mnt/"><img src=x onerror="window.__xss=2">'
XSS_LABEL = "<img src=x onerror=window.__xss=3>"
XSS_UNIT = "<svg onload=window.__xss=4>.service"
HISTORY_S = 2 * 3600
LONG_DAYS = 35
# 2026-11-02 09:00:00 UTC: mid-morning of synth's daily cycle, well inside every assertion
FLEET_NOW = 1_793_610_000.0
KEEP_DAYS = 3650.0  # far past FLEET_NOW + LONG_DAYS for years, and within DateTime's range


@dataclass(frozen=True)
class Fleet:
    settings: StoreSettings
    shapes: dict[str, synth.HostShape]
    inventory: Inventory
    now: float

    def clock(self) -> Callable[[], float]:
        """The clock an app over this fleet runs on: stopped at the end of the history."""
        return frozen_clock(self.now)


def frozen_clock(now: float) -> Callable[[], float]:
    return lambda: now


def _hosts() -> tuple[list[synth.HostShape], list[Host]]:
    shapes = [
        synth.HostShape("web-1", base_cpu=35.0),
        synth.HostShape("web-2", base_cpu=10.0),
        synth.HostShape("db-1", mounts=("/", "/var/lib/postgresql"), disks=("sda", "sdb"), cpus=8),
        synth.HostShape("down-1"),
        synth.HostShape(
            "evil",
            mounts=("/", XSS_MOUNT),
            ifaces=("eth0", XSS_IFACE),
            failed_units=("backup.service", XSS_UNIT),
        ),
    ]
    hosts = [
        Host(
            name="web-1",
            interval=3600,
            address="10.0.0.11",
            groups=("web",),
            labels=(("env", "prod"),),
        ),
        Host(
            name="web-2",
            interval=3600,
            address="10.0.0.12",
            groups=("web",),
            labels=(("env", "staging"),),
        ),
        Host(
            name="db-1",
            interval=3600,
            address="10.0.0.21",
            groups=("db",),
            labels=(("env", "prod"),),
        ),
        Host(name="down-1", interval=3600, address="10.0.0.99", groups=("web",)),
        Host(name="evil", interval=3600, address="evil.example", labels=(("team", XSS_LABEL),)),
    ]
    return shapes, hosts


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory, chdb_dir: Path) -> Iterator[Fleet]:
    settings = StoreSettings(
        url=f"chdb://{chdb_dir}",  # the process's one chDB directory (tests/conftest.py)
        database=f"api_{uuid.uuid4().hex[:10]}",
        spool_dir=tmp_path_factory.mktemp("spool"),
        flush_interval_s=0.05,
        retention=RetentionSettings(  # keep every row of the fixed past (see above)
            raw_days=KEEP_DAYS,
            rollup_5m_days=KEEP_DAYS,
            rollup_1h_days=KEEP_DAYS,
            poll_status_days=KEEP_DAYS,
            host_info_days=KEEP_DAYS,
            alert_events_days=KEEP_DAYS,
        ),
    )
    shapes, hosts = _hosts()
    now = FLEET_NOW
    # an empty catalog keeps every bit, so assertions compare exactly what was written
    writer = Writer(settings, catalog={})
    writer.start()
    for shape in shapes:
        for points in synth.history(shape, now - HISTORY_S, now, 10):
            writer.submit(points)
            state = HostState.UNREACHABLE if shape.name == "down-1" else HostState.OK
            reason = "connect: No route to host" if state != HostState.OK else ""
            writer.submit_status(synth.status(shape, points[0].ts, state, reason))
        writer.submit_host_info(synth.info(shape, now))
    # a sparse month for web-1 so long ranges read the rollups
    for points in synth.history(shapes[0], now - LONG_DAYS * 86400, now - HISTORY_S, 1800):
        writer.submit(points)
    assert writer.close(60), "writer did not flush"
    stats = writer.stats()
    assert stats.dropped_rows == 0 and stats.spooled_batches == 0, stats
    inventory = Inventory(path=Path("inventory.yaml"), hosts=tuple(hosts))
    yield Fleet(settings, {s.name: s for s in shapes}, inventory, now)
    client = connect(settings)
    client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
    client.close()
