"""Targets that misbehave: the host's poll fails with a reason; nothing else suffers."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import asyncssh
import pytest
from fake_servers import FakeServer, capture_template, isolated_settings, start_fake_server

from poller.errors import PollTimeout
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.scheduler import SystemClock, ssh_scheduler
from poller.ssh import Connector
from poller.transport import SshLink, link_for


@pytest.fixture(scope="session")
def template() -> bytes:
    return asyncio.run(capture_template())


@pytest.fixture
async def fake(template: bytes) -> AsyncIterator[FakeServer]:
    server = await start_fake_server(template)
    yield server
    await server.close()


def _connector(fake: FakeServer, tmp_path: Path) -> Connector:
    return Connector(isolated_settings(fake.known_hosts(tmp_path / "known_hosts")))


def _poller(fake: FakeServer, behaviour: str, tmp_path: Path, **settings: object) -> HostPoller:
    host = fake.host(behaviour, **settings)
    clock = SystemClock()
    return HostPoller(
        host, link_for(host, _connector(fake, tmp_path).connect, time.monotonic), clock
    )


async def test_well_behaved_fake_target_polls_ok(fake: FakeServer, tmp_path: Path) -> None:
    poller = _poller(fake, "good", tmp_path)
    try:
        first, second = await poller.poll(), await poller.poll()
    finally:
        await poller.close()
    assert first.status.state is HostState.OK, first.status.reason
    assert first.host_info is not None and first.host_info.kernel
    assert second.status.state is HostState.OK
    assert {p.metric for p in second.points} >= {"load1"}
    assert poller.link.mode == "shell"


@pytest.mark.parametrize(
    ("behaviour", "state", "words"),
    [
        ("hang", HostState.TIMEOUT, "did not finish in 1 s"),
        ("slow", HostState.TIMEOUT, "did not finish in 1 s"),
        ("close_mid_output", HostState.PROBE_FAILED, "channel closed after"),
        ("garbage", HostState.PROBE_FAILED, "no framed probe sections"),
        ("endless", HostState.PROBE_FAILED, "exceeded the 1048576-byte cap"),
        ("nothing", HostState.PROBE_FAILED, "channel closed after 0 bytes"),
    ],
)
async def test_misbehaving_target_fails_the_poll_with_a_reason(
    fake: FakeServer, tmp_path: Path, behaviour: str, state: HostState, words: str
) -> None:
    poller = _poller(fake, behaviour, tmp_path)
    try:
        started = time.monotonic()
        outcome = await poller.poll()
        elapsed = time.monotonic() - started
    finally:
        await poller.close()
    assert outcome.status.state is state
    assert words in outcome.status.reason
    assert outcome.points == []
    assert elapsed < 3.0  # bounded by the 1 s poll timeout, never by the target


@pytest.mark.parametrize("behaviour", ["long_line", "binary"])
async def test_hostile_bytes_cost_at_most_one_section(
    fake: FakeServer, tmp_path: Path, behaviour: str
) -> None:
    poller = _poller(fake, behaviour, tmp_path)
    try:
        outcome = await poller.poll()
    finally:
        await poller.close()
    assert outcome.status.state is HostState.OK, outcome.status.reason
    assert set(outcome.status.failed_sections) <= {"meminfo"}
    assert {"stat", "loadavg", "net_dev"} <= set(outcome.readings)


async def test_after_a_cut_off_poll_the_next_one_uses_a_fresh_channel(
    fake: FakeServer, tmp_path: Path
) -> None:
    host = fake.host("endless", max_output_bytes=64 * 1024)
    connector = _connector(fake, tmp_path)
    connects = 0

    async def counting_connect(h: Host) -> asyncssh.SSHClientConnection:
        nonlocal connects
        connects += 1
        return await connector.connect(h)

    poller = HostPoller(host, SshLink(host, counting_connect, time.monotonic), SystemClock())
    try:
        outcomes = [await poller.poll() for _ in range(3)]
    finally:
        await poller.close()
    assert [o.status.state for o in outcomes] == [HostState.PROBE_FAILED] * 3
    assert all("cap" in o.status.reason for o in outcomes)
    # one connection throughout: a cut-off poll throws away the channel, not the connection
    assert connects == 1


async def test_server_that_refuses_shell_is_polled_through_exec(
    template: bytes, tmp_path: Path
) -> None:
    server = await start_fake_server(template, refuse_shell=True)
    poller = _poller(server, "good", tmp_path)
    try:
        outcomes = [await poller.poll(), await poller.poll()]
    finally:
        await poller.close()
        await server.close()
    assert [o.status.state for o in outcomes] == [HostState.OK, HostState.OK]
    assert poller.link.mode == "exec"
    assert outcomes[1].points


async def test_bad_hosts_do_not_delay_good_ones(fake: FakeServer, tmp_path: Path) -> None:
    """Real SSH: a hung, an endless and a garbage host beside two good ones. The good hosts
    keep being polled while the bad ones fail; how late a tick may be is pinned on a fake
    clock (test_scheduler.py), not here, where it would measure the machine's load."""
    results: dict[str, list[PollOutcome]] = defaultdict(list)
    enough = asyncio.Event()

    def sink(outcome: PollOutcome) -> None:
        results[outcome.status.host].append(outcome)
        good = all(len(results[h]) >= 5 for h in ("good-0", "good-1"))
        if good and all(len(results[h]) >= 2 for h in ("hang-2", "endless-3")):
            enough.set()

    scheduler = ssh_scheduler(sink, _connector(fake, tmp_path))
    hosts = [
        fake.host(b, name=f"{b}-{i}", interval=0.3, timeout=0.8)
        for i, b in enumerate(["good", "good", "hang", "endless", "garbage", "slow"])
    ]
    await scheduler.start(hosts)
    try:
        await asyncio.wait_for(enough.wait(), 120)  # a hang guard, not a speed limit
    finally:
        await scheduler.stop()
    for name in ("good-0", "good-1"):
        good = results[name]
        assert all(o.status.state is HostState.OK for o in good), [o.status for o in good]
    assert {o.status.state for o in results["hang-2"]} == {HostState.TIMEOUT}
    assert {o.status.state for o in results["endless-3"]} == {HostState.PROBE_FAILED}


async def _peak_connects(tmp_path: Path, connector: Connector) -> int:
    """Six connects to a listener that never speaks SSH: every connect hangs in the
    handshake until its timeout, so the most connections open at once is the throttle."""
    open_now = peak = 0

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now, peak
        open_now += 1
        peak = max(peak, open_now)
        await reader.read()  # until the client gives up
        open_now -= 1
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hosts = [
        Host(name=f"h{i}", address="127.0.0.1", port=port, connect_timeout=0.3) for i in range(6)
    ]
    try:
        results = await asyncio.gather(
            *(connector.connect(h) for h in hosts), return_exceptions=True
        )
    finally:
        server.close()
        await server.wait_closed()
    assert all(isinstance(r, PollTimeout) for r in results), results
    return peak


async def test_connects_are_throttled_per_target(tmp_path: Path) -> None:
    settings = isolated_settings(tmp_path / "known_hosts")
    connector = Connector(replace(settings, max_unauthenticated=2))
    assert await _peak_connects(tmp_path, connector) == 2


async def test_a_new_budget_applies_to_the_next_connects(tmp_path: Path) -> None:
    """`sshmon run --workers` resized on a reload gives each worker a new share."""
    settings = isolated_settings(tmp_path / "known_hosts")
    connector = Connector(replace(settings, max_unauthenticated=4))
    assert await _peak_connects(tmp_path, connector) == 4
    connector.update_budget(2)
    assert await _peak_connects(tmp_path, connector) == 2
