"""One-off polls for the CLI: `sshmon check` (every host once) and `sshmon probe HOST`.

They use the same HostPoller, links and host-key rules as `sshmon run`; only the schedule
differs. The first poll of a host always includes the slow sections, so check can show
OS and kernel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.scheduler import SystemClock
from poller.ssh import Connector, SshSettings
from poller.transport import link_for

CHECK_CONCURRENCY = 256  # open sockets at once; the per-sshd throttle still applies inside


@dataclass(frozen=True)
class CheckResult:
    """One row of `sshmon check`."""

    host: str
    state: HostState
    reason: str
    connect_ms: float | None = None
    os_name: str | None = None
    kernel: str | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.state is HostState.OK


def _settings(
    known_hosts_path: Path, settings: SshSettings | None, hosts: Sequence[Host]
) -> SshSettings:
    settings = settings or SshSettings(known_hosts=known_hosts_path)
    if not settings.peers:
        settings = replace(settings, peers={h.name: h for h in hosts})
    return replace(settings, known_hosts=known_hosts_path)


async def check(
    hosts: Sequence[Host],
    known_hosts_path: Path,
    *,
    settings: SshSettings | None = None,
    progress: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Connect to and probe every host once, concurrently; results in `hosts` order.

    `progress` is called as each host finishes (for a progress bar).
    """
    connector = Connector(_settings(known_hosts_path, settings, hosts))
    gate = asyncio.Semaphore(CHECK_CONCURRENCY)

    async def one(host: Host) -> CheckResult:
        async with gate:
            outcome = await _poll_once(host, connector, keep_raw=False)
        result = _result(outcome)
        if progress is not None:
            progress(result)
        return result

    return list(await asyncio.gather(*(one(h) for h in hosts)))


def _result(outcome: PollOutcome) -> CheckResult:
    status, info = outcome.status, outcome.host_info
    connect_ms = outcome.connect_s * 1000 if outcome.connect_s is not None else None
    return CheckResult(
        host=status.host,
        state=status.state,
        reason=status.reason,
        connect_ms=connect_ms,
        os_name=info.os_name if info else None,
        kernel=info.kernel if info else None,
        duration_s=status.duration_s,
    )


async def _poll_once(host: Host, connector: Connector, *, keep_raw: bool) -> PollOutcome:
    clock = SystemClock()
    poller = HostPoller(host, link_for(host, connector.connect, clock.monotonic), clock)
    try:
        return await poller.poll(keep_raw=keep_raw, force_slow=True)
    finally:
        await poller.close()


async def probe_once(
    host: Host,
    known_hosts_path: Path,
    *,
    settings: SshSettings | None = None,
    peers: Sequence[Host] = (),
) -> PollOutcome:
    """One poll with every section; `outcome.raw` holds the framed bytes exactly as
    received (`sshmon probe --raw`, a capture for `replay`)."""
    connector = Connector(_settings(known_hosts_path, settings, [host, *peers]))
    return await _poll_once(host, connector, keep_raw=True)


async def probe_twice(
    host: Host,
    known_hosts_path: Path,
    *,
    interval: float = 1.0,
    settings: SshSettings | None = None,
    peers: Sequence[Host] = (),
) -> tuple[PollOutcome, PollOutcome]:
    """Two polls `interval` seconds apart on one connection, so rates can be derived."""
    connector = Connector(_settings(known_hosts_path, settings, [host, *peers]))
    clock = SystemClock()
    poller = HostPoller(host, link_for(host, connector.connect, clock.monotonic), clock)
    try:
        first = await poller.poll(force_slow=True)
        if first.status.state is not HostState.OK:
            return first, first
        await clock.sleep_until(clock.monotonic() + interval)
        return first, await poller.poll(force_slow=True)
    finally:
        await poller.close()
