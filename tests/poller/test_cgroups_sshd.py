"""This machine polled through the real sshd while a real service cgroup burns CPU: the
slow rounds read it, and the CPU the service used shows as a rate over the slow rounds.

The cgroup is made here (`mkdir` under the cgroup2 root: /sys/fs/cgroup on a pure v2 host,
/sys/fs/cgroup/unified on a hybrid one), a busy shell loop moves itself into its
cgroup.procs, and everything is undone after. Needs write access to the cgroup2 tree (root,
or a delegated tree); skipped without it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_servers import isolated_settings
from sshd import Sshd

from parsers.sys_fs_cgroup import Cgroups
from poller.points import HostState
from poller.poll import HostPoller
from poller.scheduler import SystemClock
from poller.ssh import Connector
from poller.transport import SshLink

pytestmark = pytest.mark.sshd
UNIT = f"sshmon-test-{os.getpid()}.service"


def _cgroup2_root() -> Path | None:
    for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
        if (root / "cgroup.controllers").exists() and os.access(root, os.W_OK):
            return root
    return None


@pytest.fixture
def busy_service() -> Iterator[Path]:
    root = _cgroup2_root()
    if root is None:
        pytest.skip("no writable cgroup2 tree on this machine")
    slice_dir = root / "system.slice"
    made_slice = not slice_dir.exists()
    cgroup = slice_dir / UNIT
    cgroup.mkdir(parents=True)
    # the loop moves itself (its own pid, $$) into the cgroup before it starts burning
    busy = subprocess.Popen(["sh", "-c", f"echo $$ > {cgroup}/cgroup.procs && while :; do :; done"])
    try:
        yield cgroup
    finally:
        busy.kill()
        busy.wait()
        cgroup.rmdir()
        if made_slice:
            slice_dir.rmdir()


async def test_a_busy_service_shows_its_cpu_over_the_slow_rounds(
    sshd: Sshd, busy_service: Path, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(slow_every=2)  # slow, fast, slow: the rate spans a fast poll
    clock = SystemClock()
    connector = Connector(isolated_settings(known))
    poller = HostPoller(host, SshLink(host, connector.connect, clock.monotonic), clock)
    outcomes = []
    try:
        for _ in range(3):
            outcomes.append(await poller.poll())
            # the busy loop needs real time to use CPU, and the target's uptime ticks in
            # 10 ms: back-to-back polls can read the same uptime, which allows no rate
            await asyncio.sleep(0.1)
    finally:
        await poller.close()
    assert [o.status.state for o in outcomes] == [HostState.OK] * 3
    first, last = (o.readings["cgroups"] for o in (outcomes[0], outcomes[2]))
    assert isinstance(first, Cgroups) and isinstance(last, Cgroups)
    used = [r.groups[UNIT].cpu_seconds_total for r in (first, last)]
    assert used[0] is not None and used[1] is not None and used[1] > used[0]
    assert last.groups[UNIT].path == f"/system.slice/{UNIT}"
    # the fast poll between the rounds made no cgroup points, the second round did
    assert not any(p.metric.startswith("service_") for p in outcomes[1].points)
    cpu = [p for p in outcomes[2].points if p.metric == "service_cpu_percent" and p.dev == UNIT]
    assert len(cpu) == 1 and cpu[0].value > 0
    assert last.uptime_seconds is not None and first.uptime_seconds is not None
    span = last.uptime_seconds - first.uptime_seconds
    assert cpu[0].value == pytest.approx((used[1] - used[0]) / span * 100)
