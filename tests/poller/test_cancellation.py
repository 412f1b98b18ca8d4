"""Cancellation always wins (issue 10 part 1): whatever moment a stop or reload arrives,
a connect in flight included, the host's task ends and leaves no connection behind."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import asyncssh
import pytest
from fake_clock import FakeClock, settle
from fake_servers import isolated_settings
from sshd import Sshd

from poller import ssh
from poller.inventory import Host
from poller.points import HostState, PollStatus
from poller.poll import PollOutcome
from poller.scheduler import Scheduler
from poller.ssh import Connector

LATE_CANCEL_STEPS = 12  # loop iterations after auth in which a cancel may land


def _later(steps: int, action: Callable[[], object]) -> None:
    """Run `action` `steps` event-loop iterations from now (0: in the next one)."""
    loop = asyncio.get_running_loop()
    if steps == 0:
        loop.call_soon(action)
    else:
        loop.call_soon(_later, steps - 1, action)


@pytest.mark.sshd
@pytest.mark.parametrize("steps", range(LATE_CANCEL_STEPS))
async def test_cancel_landing_as_the_connect_completes_is_never_swallowed(
    sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, steps: int
) -> None:
    """CPython gh-86296: on 3.11 `asyncio.wait_for` returns the result instead of raising
    when the cancel comes in the iteration its inner task finished. A host task cancelled
    that way carried on polling forever. The cancel is landed at every iteration from
    authentication on, so one of them is that iteration whatever the layering."""
    known = sshd.trust_into(tmp_path / "known_hosts")
    connector = Connector(isolated_settings(known))
    got: list[asyncssh.SSHClientConnection] = []
    task: asyncio.Task[None] | None = None

    def cancel_soon(_: object) -> None:
        assert task is not None
        _later(steps, task.cancel)

    monkeypatch.setattr(ssh._Client, "auth_completed", cancel_soon, raising=False)

    async def host_task() -> None:
        got.append(await connector.connect(sshd.host()))
        await asyncio.Event().wait()  # a cancel that arrives after the connect ends this

    task = asyncio.create_task(host_task())
    done, _ = await asyncio.wait([task], timeout=10.0)
    for conn in got:  # only a connect that finished before the cancel hands one out
        conn.close()
    assert done, "the cancel was swallowed: the task outlived it"
    assert task.cancelled()


class SwallowingPoller:
    """A poll that completes despite a cancel, as a connect hit by gh-86296 does."""

    def __init__(self, host: Host, clock: FakeClock) -> None:
        self.host = host
        self.clock = clock
        self.polls = 0
        self.closed = False

    async def poll(self) -> PollOutcome:
        self.polls += 1
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):  # cancelling() stays raised
            await asyncio.sleep(0)
        return PollOutcome(PollStatus(self.host.name, self.clock.time(), HostState.OK, "", 0.0))

    async def close(self) -> None:
        self.closed = True


class DeafPoller:
    """A poll that ignores every cancel (a library bug we cannot fix from here)."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.release = asyncio.Event()

    async def poll(self) -> PollOutcome:
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                continue
        return PollOutcome(PollStatus(self.host.name, 0.0, HostState.OK, "", 0.0))

    async def close(self) -> None:
        pass


async def test_a_swallowed_cancel_still_ends_the_host_task() -> None:
    clock = FakeClock()
    made: list[SwallowingPoller] = []

    def make(host: Host) -> SwallowingPoller:
        made.append(SwallowingPoller(host, clock))
        return made[-1]

    scheduler = Scheduler(lambda _: None, make_poller=make, clock=clock)
    await scheduler.start([Host(name="h", address="127.0.0.1", interval=10.0)])
    await clock.advance(10.0)
    await settle()
    [poller] = made
    # the poll swallowed the cancel it got; the task must notice and stop, not poll again
    assert poller.polls == 1
    assert poller.closed
    await asyncio.wait_for(scheduler.stop(), 5.0)


async def test_stop_abandons_a_task_that_ignores_cancel_after_its_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    made: list[DeafPoller] = []

    def make(host: Host) -> DeafPoller:
        made.append(DeafPoller(host))
        return made[-1]

    scheduler = Scheduler(lambda _: None, make_poller=make, clock=clock, stop_deadline_s=0.2)
    await scheduler.start([Host(name="deaf", address="127.0.0.1", interval=10.0)])
    await clock.advance(10.0)
    await settle()
    with caplog.at_level(logging.WARNING, logger="poller.scheduler"):
        await asyncio.wait_for(scheduler.stop(), 5.0)
    assert "deaf" in caplog.text and "abandoned" in caplog.text
    made[0].release.set()  # let it end, so the test leaves no task behind
    await settle()
