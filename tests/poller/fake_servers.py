"""Small asyncssh servers that misbehave on purpose, one behaviour per login name.

The well-behaved answer is a real capture of this machine's probe output (taken through a
local `sh` when the server starts), re-framed with the nonce of each poll, so the client
cannot tell it from a real target. The others fail the ways hostile or broken targets do.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from poller import probe
from poller.inventory import Host
from poller.ssh import SshSettings
from poller.transport import LocalLink

NONCE = re.compile(rb"_sm_fast ([0-9a-f]+)")
Process = asyncssh.SSHServerProcess[bytes]


async def capture_template() -> bytes:
    """This machine's probe output with every section, nonce replaced by a placeholder."""
    link = LocalLink(Host(name="capture", address="localhost", transport="local"))
    nonce = probe.new_nonce()
    try:
        raw = await link.poll(nonce, slow=True)
    finally:
        await link.close()
    return raw.output.replace(nonce.encode(), b"{nonce}")


async def next_nonce(process: Process) -> bytes | None:
    """Read probe lines until one carries a poll nonce (the definitions come first)."""
    while True:
        line = await process.stdin.readline()
        if not line:
            return None
        found = NONCE.search(line)
        if found:
            return found.group(1)


def isolated_settings(known_hosts: Path) -> SshSettings:
    """Only the test's own known_hosts: no ~/.ssh/config, no ~/.ssh/known_hosts."""
    return SshSettings(known_hosts=known_hosts, ssh_config=(), user_known_hosts=())


@dataclass
class Behaviours:
    template: bytes

    def answer(self, nonce: bytes) -> bytes:
        return self.template.replace(b"{nonce}", nonce)

    async def good(self, process: Process) -> None:
        while (nonce := await next_nonce(process)) is not None:
            process.stdout.write(self.answer(nonce))

    async def hang(self, process: Process) -> None:
        await process.stdin.read()  # never answers; returns only when the client goes away

    async def close_mid_output(self, process: Process) -> None:
        nonce = await next_nonce(process)
        if nonce is not None:
            answer = self.answer(nonce)
            process.stdout.write(answer[: len(answer) // 2])

    async def garbage(self, process: Process) -> None:
        nonce = await next_nonce(process)
        if nonce is not None:
            # plausible-looking noise and then the done marker: frames are what is missing
            noise = b"".join(b"%d garbage line \x1b[31m<html>\n" % i for i in range(200))
            process.stdout.write(noise + probe.done_marker(nonce.decode()))
            await process.stdin.read()

    async def endless(self, process: Process) -> None:
        if await next_nonce(process) is not None:
            block = b"y" * 65535 + b"\n"
            for _ in range(100 * 1024 * 1024 // len(block)):  # 100 MB unless stopped first
                process.stdout.write(block)
                await process.stdout.drain()

    async def slow(self, process: Process) -> None:
        while (nonce := await next_nonce(process)) is not None:
            await asyncio.sleep(30)  # past any test's poll timeout
            process.stdout.write(self.answer(nonce))

    async def long_line(self, process: Process) -> None:
        while (nonce := await next_nonce(process)) is not None:
            bad = self.answer(nonce).replace(b"MemTotal:", b"MemTotal:" + b"9" * 1_000_000, 1)
            process.stdout.write(bad)

    async def binary(self, process: Process) -> None:
        while (nonce := await next_nonce(process)) is not None:
            bad = self.answer(nonce).replace(b"MemFree:", bytes(range(256)) + b"MemFree:", 1)
            process.stdout.write(bad)

    async def nothing(self, process: Process) -> None:
        return  # channel closes at once, shell or exec alike


Handler = Callable[[Process], Awaitable[None]]


class _Server(asyncssh.SSHServer):
    """No authentication: these servers test what happens after login."""

    def begin_auth(self, username: str) -> bool:
        return False


class _ExecOnlySession(asyncssh.SSHServerSession[bytes]):
    """Rejects shell requests outright (as some restricted servers do); runs exec requests
    by answering the probe found in the command."""

    def __init__(self, behaviours: Behaviours) -> None:
        self._behaviours = behaviours
        self._command = b""

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self._chan = chan

    def shell_requested(self) -> bool:
        return False

    def exec_requested(self, command: str) -> bool:
        self._command = command.encode()
        return True

    def session_started(self) -> None:
        found = NONCE.search(self._command)
        if found:
            self._chan.write(self._behaviours.answer(found.group(1)))
        self._chan.exit(0)


class _ExecOnlyServer(_Server):
    def __init__(self, behaviours: Behaviours) -> None:
        self._behaviours = behaviours

    def session_requested(self) -> _ExecOnlySession:
        return _ExecOnlySession(self._behaviours)


@dataclass
class FakeServer:
    server: asyncssh.SSHAcceptor
    port: int
    host_key: asyncssh.SSHKey
    refuse_shell: bool

    def known_hosts(self, path: Path) -> Path:
        public = self.host_key.export_public_key().decode()
        path.write_text(f"[127.0.0.1]:{self.port} {public}")
        return path

    def host(self, behaviour: str, **settings: object) -> Host:
        values: dict[str, object] = {
            "name": behaviour,
            "address": "127.0.0.1",
            "port": self.port,
            "user": behaviour,
            "timeout": 1.0,
            "connect_timeout": 5.0,
            "max_output_bytes": 1024 * 1024,
        }
        values.update(settings)
        return Host.model_validate(values)

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def start_fake_server(template: bytes, *, refuse_shell: bool = False) -> FakeServer:
    """Serve on 127.0.0.1; the login name picks the Behaviours method that answers."""
    behaviours = Behaviours(template)
    key = asyncssh.generate_private_key("ssh-ed25519")

    async def handle(process: Process) -> None:
        method = getattr(behaviours, process.get_extra_info("username"))
        try:
            await method(process)
        except (asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged):
            pass
        except (BrokenPipeError, ConnectionError, asyncssh.DisconnectError):
            pass  # the client gave up on us: that is the point of most behaviours
        process.exit(0)

    # with a process_factory asyncssh never asks the server object for a session, so the
    # exec-only server goes without one
    factory = {} if refuse_shell else {"process_factory": handle}
    server = await asyncssh.create_server(
        (lambda: _ExecOnlyServer(behaviours)) if refuse_shell else _Server,
        "127.0.0.1",
        0,
        server_host_keys=[key],
        encoding=None,
        **factory,
    )
    port = server.sockets[0].getsockname()[1]
    return FakeServer(server, port, key, refuse_shell)
