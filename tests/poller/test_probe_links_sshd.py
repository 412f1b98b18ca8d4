"""The hwmon device links' section through the real sshd: framed at every slow round, and
the session's directory unchanged after it, as the operator's commands (run in it) see.

This machine has no /sys/class/hwmon, so here the loop's `cd -P` never succeeds: what this
pins over SSH is the frame and the restore after the loop. Resolving real links, hostile
paths and the directory kept after `cd -P` moved are run under dash, bash and busybox sh
in tests/poller/test_probe_links.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from sshd import Sshd

from poller.inventory import CommandSetting
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.ssh import Connector
from poller.transport import SshLink

pytestmark = pytest.mark.sshd

# 1 while the command runs in the login's home directory, as it did before any poll
IN_HOME = CommandSetting(
    name="in_home", run='[ "$(pwd -P)" = "$(cd && pwd -P)" ] && echo 1 || echo 0'
)


async def test_the_slow_round_frames_the_links_and_keeps_the_sessions_directory(
    sshd: Sshd, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(slow_every=2, commands=(IN_HOME,))
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock)
    outcomes: list[PollOutcome] = []
    try:
        for _ in range(4):
            outcomes.append(await poller.poll(keep_raw=True))
            await clock.advance(10)
    finally:
        await poller.close()
    assert [o.status.state for o in outcomes] == [HostState.OK] * 4
    for i, outcome in enumerate(outcomes):
        raw = outcome.raw or b""
        framed = re.search(
            rb"@@sshmon \w+ begin hwmon_devices\n\n@@sshmon \w+ end hwmon_devices 0\n", raw
        )
        assert bool(framed) == (i % 2 == 0), i  # at the slow rounds, empty: no hwmon here
        in_home = [p.value for p in outcome.points if p.metric == "custom:in_home"]
        assert in_home == [1.0], i
