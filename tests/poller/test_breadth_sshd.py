"""The slow-round command families (tcpstat, timex, systemd) through a real sshd."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from sshd import Sshd

from parsers.cmd_tcp_states import STATES
from poller.collectors.status import CollectorState
from poller.points import HostState
from poller.poll import HostPoller
from poller.ssh import Connector
from poller.transport import SshLink

pytestmark = pytest.mark.sshd


async def test_slow_round_counts_tcp_states_and_systemd_reads_unavailable(
    sshd: Sshd, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host()
    clock = FakeClock()
    poller = HostPoller(
        host,
        SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic),
        clock,
        rng=random.Random(1),
    )
    try:
        outcome = await poller.poll()  # the first poll of a connection is a slow one
    finally:
        await poller.close()
    assert outcome.status.state is HostState.OK, outcome.status.reason
    tcp = {p.dev: p.value for p in outcome.points if p.metric == "tcp_connections"}
    assert set(tcp) == set(STATES)
    assert tcp["established"] >= 1 and tcp["listen"] >= 1  # this very SSH connection, sshd
    assert outcome.collectors["tcpstat"].state is CollectorState.OK
    # systemd is not PID 1 on this VM (nor in CI containers): quiet, no point, no zero
    if not Path("/run/systemd/system").is_dir():
        assert outcome.collectors["systemd"].state is CollectorState.UNAVAILABLE
        assert not [p for p in outcome.points if p.metric == "systemd_units_failed"]
        assert "systemd_failed" not in outcome.status.failed_sections
    # timex is there only with busybox, chronyd or systemd: never a failure either way
    assert outcome.collectors["timex"].state is not CollectorState.FAILED
