"""Rare slow sections (`Source.every`) through the real sshd: this machine polled with a
slow round at every poll, so the cadences come round quickly. Each rare section runs on
the target exactly at the slow rounds it is due, and what it feeds stays between: host
info, the held page size (tcp_mem_bytes at every poll), /metrics readings, the collectors'
status (never "unavailable" for a section that did not run); its points only when read.
A new connection reads every section again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from sshd import Sshd

from poller import probe
from poller.collectors.status import CollectorState
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.ssh import Connector
from poller.transport import SshLink

pytestmark = pytest.mark.sshd

ALL = (2, 5, 30)
# slow round -> the rarer cadences due (every slow round reads df and the other every-1's)
EXPECTED = [ALL, (), (2,), (), (2,), (5,), (2,), (), (2,), (), (2, 5), ()]
CADENCE = {"uname": 30, "os_release": 30, "cpuinfo": 30, "pagesize": 30}
CADENCE |= {"tcp_states": 5, "timex": 5, "net_udp": 5, "systemd_failed": 2}


def _begun(outcome: PollOutcome) -> set[str]:
    """The sections the target's shell ran, from the raw output's frame markers."""
    assert outcome.raw is not None
    return {m.decode() for m in re.findall(rb"@@sshmon [0-9a-f]+ begin (\w+)", outcome.raw)}


async def test_rare_sections_run_when_due_and_stay_visible_between(
    sshd: Sshd, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(slow_every=1)  # every poll a slow round
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock)
    outcomes: list[PollOutcome] = []
    try:
        for _ in EXPECTED:
            outcomes.append(await poller.poll(keep_raw=True))
            await clock.advance(10)
        await link.close()  # the connection went away (a reboot?): the next one reads all
        outcomes.append(await poller.poll(keep_raw=True))
    finally:
        await poller.close()
    assert [o.status.state for o in outcomes] == [HostState.OK] * len(outcomes)
    for i, (outcome, due) in enumerate(zip(outcomes, [*EXPECTED, ALL], strict=True)):
        ran = _begun(outcome)
        # every slow round: df, and the one `head` of the slow files (mounts among them)
        assert "df" in ran and probe.SLOW_READ in ran and "mounts" in outcome.readings, i
        assert {s for s, every in CADENCE.items() if s in ran} == {
            s for s, every in CADENCE.items() if every in due
        }, i
        # the rare files (clocksource, selinux) are one `head` of their cadence
        assert (probe.SLOW_READ + "5" in ran) == (5 in due), i
        # what a rare section feeds stays between its reads
        assert {"uname", "os_release", "cpuinfo", "pagesize", "tcp_states", "selinux"} <= set(
            outcome.readings
        ), i
        info = outcome.host_info
        assert info is not None and info.kernel and info.os_name and info.cpus, i
        metrics = {p.metric for p in outcome.points}
        assert "tcp_mem_bytes" in metrics, i  # the held page size, at every poll
        # stored points of a rare section only at the rounds that read it, stamped then
        tcp = [p for p in outcome.points if p.metric == "tcp_connections"]
        assert bool(tcp) == (5 in due), i
        assert all(p.ts == outcome.status.ts for p in tcp)
        # a collector gets a status only when its sections ran: never "unavailable" for one
        # that was not due
        for name, every in (("uname", 30), ("os", 30), ("tcpstat", 5)):
            status = outcome.collectors.get(name)
            if every in due:
                assert status is not None and status.state is CollectorState.OK, (i, name)
            else:
                assert status is None, (i, name, status)
        assert outcome.collectors["filesystem"].state is CollectorState.OK, i
    # the values kept between reads are the ones read, not re-read
    assert outcomes[3].readings["uname"] is outcomes[0].readings["uname"]
