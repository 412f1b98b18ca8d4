"""Settings read at the slow round and held until the next (`Source.held`: the entropy
pool size, nf_conntrack_max) through the real sshd: the fast polls between slow rounds do
not read them on the target, yet every poll derives and exports with them, from the
first poll of a connection on. Read once per slow round instead of at every poll, since
each file the every-poll `head` opens costs the target ~7 µs (bench/README.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from sshd import Sshd

from parsers.proc_sys_value import SysValue
from poller.collectors.registry import samples
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.ssh import Connector
from poller.transport import SshLink

pytestmark = pytest.mark.sshd

HELD = {
    "entropy_poolsize": "/proc/sys/kernel/random/poolsize",
    "nf_conntrack_max": "/proc/sys/net/netfilter/nf_conntrack_max",
}


def _read_on_target(outcome: PollOutcome) -> set[str]:
    """The held files the target's `head` printed a header for in this poll."""
    assert outcome.raw is not None
    return {s for s, path in HELD.items() if f"==> {path} <==".encode() in outcome.raw}


async def test_held_settings_serve_every_poll_but_are_read_at_slow_rounds(
    sshd: Sshd, tmp_path: Path
) -> None:
    if not Path(HELD["nf_conntrack_max"]).exists():
        pytest.skip("nf_conntrack not loaded on this machine")
    limit = float(Path(HELD["nf_conntrack_max"]).read_text())
    pool = float(Path(HELD["entropy_poolsize"]).read_text())
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(slow_every=4)
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock)
    outcomes: list[PollOutcome] = []
    try:
        for _ in range(6):
            outcomes.append(await poller.poll(keep_raw=True))
            await clock.advance(10)
        await link.close()  # a new connection: its first poll reads everything again
        outcomes.append(await poller.poll(keep_raw=True))
    finally:
        await poller.close()
    assert [o.status.state for o in outcomes] == [HostState.OK] * len(outcomes)
    slow = [True, False, False, False, True, False, True]
    for i, (outcome, is_slow) in enumerate(zip(outcomes, slow, strict=True)):
        raw = outcome.raw or b""
        assert bool(re.search(rb"@@sshmon \w+ begin slow_read\n", raw)) == is_slow, i
        # read on the target only at slow rounds (a connection's first poll is one)
        assert _read_on_target(outcome) == (set(HELD) if is_slow else set()), i
        # ... and used at every poll: stored points, /metrics samples
        points = {p.metric: p.value for p in outcome.points if p.dev == ""}
        assert points["conntrack_limit"] == limit, i
        assert "conntrack_used_percent" in points and "conntrack_entries" in points, i
        exported = {s.name: s.value for s in samples(outcome.readings)}
        assert exported["node_nf_conntrack_entries_limit"] == limit, i
        assert exported["node_entropy_pool_size_bits"] == pool, i
        held = outcome.readings["entropy_poolsize"]
        assert isinstance(held, SysValue) and held.value == pool, i
    # between slow rounds the very reading of the last slow round, not a re-read
    assert outcomes[2].readings["nf_conntrack_max"] is outcomes[0].readings["nf_conntrack_max"]
