"""The demo fleet's SSH side: one asyncssh server per simulated host on 127.0.0.1.

Each host has its own port and its own generated host key, which `known_hosts_lines` hands
to the demo's throwaway known_hosts: the poller verifies every key exactly as it would a
real machine's. The servers run on an event loop in a thread of their own (`running`), so
the real `sshmon run` composition owns the main loop untouched and the simulation's work
never delays a poll's bookkeeping.

A host answers the probe's `exec sh` session line by line, as `sh` would: the definitions
are ignored, each invocation line gets the framed answer of its nonce. An edge host that
goes down closes its port and drops its connections (the poller sees it unreachable), and
comes back on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import asyncssh

from demo import fleet, render
from parsers import cmd_ps
from poller.probe import FAST_FUNCTION, SLOW_FUNCTION

log = logging.getLogger("sshmon.demo")

_INVOCATION: Final = re.compile(rf"{FAST_FUNCTION} ([0-9a-f]+)")
LOOPBACK: Final = "127.0.0.1"
WATCH_S: Final = 1.0  # how often outages are checked; a second early or late is no matter
START_TIMEOUT_S: Final = 30.0


class _NoAuth(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        # a simulated target on loopback only, reachable by this user's processes anyway:
        # no authentication. The host key is still verified by the poller.
        return False


@dataclass
class Target:
    host: fleet.Host
    key: asyncssh.SSHKey
    port: int = 0
    server: asyncssh.SSHAcceptor | None = None
    sessions: set[asyncssh.SSHServerProcess[bytes]] = field(default_factory=set)


class Fleet:
    """The simulated hosts and their servers; `start` and `close` on one event loop."""

    def __init__(self, n: int, seed: int = 13) -> None:
        now, epoch = time.monotonic(), time.time()
        roles = fleet.roles(n)
        self.capture = render.Capture.load()
        self._ps = render.top_processes()
        self.targets = [
            Target(fleet.Host(name, role, seed + i, now, epoch), _key())
            for i, (name, role) in enumerate(zip(fleet.names(roles), roles, strict=True))
        ]
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for target in self.targets:
            await self._listen(target)
        self._watch = asyncio.create_task(self._outages(), name="demo outages")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for target in self.targets:
            self._down(target)

    def known_hosts_lines(self) -> str:
        return "".join(
            f"[{LOOPBACK}]:{t.port} {t.key.export_public_key().decode()}" for t in self.targets
        )

    async def _listen(self, target: Target) -> None:
        target.server = await asyncssh.create_server(
            _NoAuth,
            LOOPBACK,
            target.port,  # 0 the first time; the same port when it comes back
            server_host_keys=[target.key],
            process_factory=lambda p: self._serve(target, p),
            encoding=None,
            reuse_address=True,
        )
        target.port = target.server.sockets[0].getsockname()[1]

    def _down(self, target: Target) -> None:
        if target.server is not None:
            target.server.close()
            target.server = None
        for session in list(target.sessions):
            session.channel.get_connection().abort()

    async def _outages(self) -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            now = time.monotonic()
            for target in self.targets:
                up = target.host.up(now)
                if not up and target.server is not None:
                    log.info("demo: %s goes down for a while", target.host.name)
                    self._down(target)
                elif up and target.server is None:
                    log.info("demo: %s is back, rebooted", target.host.name)
                    target.host.advance(now)
                    await self._listen(target)

    async def _serve(self, target: Target, process: asyncssh.SSHServerProcess[bytes]) -> None:
        target.sessions.add(process)
        try:
            if process.command == cmd_ps.COMMAND:
                process.stdout.write(self._ps)
            else:
                await self._shell(target, process)
        except (asyncssh.Error, ConnectionError):
            pass  # the poller went away, or the host "went down"
        finally:
            target.sessions.discard(process)
            process.exit(0)

    async def _shell(self, target: Target, process: asyncssh.SSHServerProcess[bytes]) -> None:
        while line := await process.stdin.readline():
            found = _INVOCATION.search(line.decode("ascii", "replace"))
            if found is None:
                continue  # the definitions, sent once per session
            snap = target.host.advance(time.monotonic())
            slow = SLOW_FUNCTION.encode() in line
            process.stdout.write(render.answer(self.capture, snap, found.group(1), slow=slow))


def _key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


@contextlib.contextmanager
def running(n: int) -> Iterator[Fleet]:
    """The fleet serving on a loop in a background thread until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="demo fleet", daemon=True)
    thread.start()
    demo = Fleet(n)
    try:
        asyncio.run_coroutine_threadsafe(demo.start(), loop).result(START_TIMEOUT_S)
        yield demo
    finally:
        try:
            asyncio.run_coroutine_threadsafe(demo.close(), loop).result(START_TIMEOUT_S)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT_S)
            loop.close()
