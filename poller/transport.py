"""One host's link: a kept connection and a long-lived `sh` on it, or a local `sh`.

A poll writes the probe's one-line invocation to the shell and reads stdout up to the
poll's `done` marker, with a byte cap and a timeout. After a timeout, a cap hit or a channel
that closed mid-output the shell may be mid-way through old output, so it is thrown away
and a fresh one opened on the next poll (the nonce already keeps old output from being
taken for new, this keeps the next poll from waiting behind it).

Throwing a session away means killing it, not only closing its channel: sshd does not end
a session's processes when the channel closes (nor when the connection drops, without a
pty), so each timed-out poll of a hung `sh` used to leave one more stuck process tree and
one more session on the target, until MaxSessions (10 by default) refused every new one.
The link sends a KILL `signal` request with the close (OpenSSH 7.9+ signals the session's
process group, except for root logins and forced commands). After a timeout, or at close
after a cancelled poll, a short exec of REAPER_COMMAND on the same connection kills what
is left of the connection's other sessions, and the link waits for the old channel to
close before the next poll may open one; a channel that will not close, or a reaper that
hangs too, costs the connection. So at most one session per host exists at any time.

Where a long-lived `sh` is refused (the server rejects the request, or a forced command in
authorized_keys allows only the probe and ends the session at once) the link falls back to
one exec channel per poll, running the whole probe script as the command, and remembers
that for the host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import asyncssh

from poller import probe
from poller.errors import PollError, PollTimeout, ProbeFailed, translate
from poller.inventory import Host

log = logging.getLogger(__name__)

READ_CHUNK = 65536
# The kept session is an exec of `sh`, not a shell request: sshd runs the login shell with
# `-c 'exec sh'`, which then replaces itself with the system sh (dash on Debian), so each
# poll's fork of `tail` is cheaper: measured 1.7 instead of 2.3 ms of target CPU per poll
# against OpenSSH 9.2 with bash as the login shell. It does not skip rc files: bash started
# by sshd sources ~/.bashrc (and $BASH_ENV) before running the command, so an rc file that
# prints, prompts or hangs is seen by every session (README: "The monitoring user's shell")
SESSION_COMMAND = "exec sh"
# How long a killed session's channel may take to close before the connection is dropped
# instead (sshd answers a close at once unless it or the link is stuck).
CLOSE_GRACE_S = 2.0
# Run on an exec channel of the same connection after a timeout: KILL every process in the
# sessions of this connection but our own. Session leaders are the children of the sshd
# process serving the connection ($PPID here); `pkill -s` takes each whole session, so
# commands that moved to a process group of their own (`timeout` does) go too. Needed
# because sshd refuses `signal` requests for root logins (no privilege separation after
# auth: "session signalling requires privilege separation") and before OpenSSH 7.9.
REAPER_COMMAND = (
    'for p in $(pgrep -P "$PPID" 2>/dev/null); do '
    '[ "$p" = "$$" ] || pkill -KILL -s "$p" 2>/dev/null; done; true'
)
Mode = Literal["shell", "exec", "local"]


class _Reader(Protocol):
    async def read(self, n: int = -1, /) -> bytes: ...


@dataclass
class RawPoll:
    """Bytes of one poll as received; `reconnected` when this poll opened the connection."""

    output: bytes
    mode: Mode
    reconnected: bool
    connect_s: float = 0.0


class ChannelClosed(ProbeFailed):
    """EOF before the done marker; `received` bytes had arrived by then."""

    def __init__(self, reason: str, received: int) -> None:
        super().__init__(reason)
        self.received = received


async def read_frame(reader: _Reader, marker: bytes, cap: int) -> bytes:
    """Read until `marker` (inclusive). Raises ProbeFailed past `cap` bytes or on EOF."""
    buf = bytearray()
    while True:
        chunk = await reader.read(READ_CHUNK)
        if not chunk:
            raise ChannelClosed(
                f"channel closed after {len(buf)} bytes, before the probe finished", len(buf)
            )
        start = max(0, len(buf) - len(marker))
        buf += chunk
        end = buf.find(marker, start)
        if end >= 0 and end + len(marker) <= cap:
            return bytes(buf[: end + len(marker)])
        if len(buf) > cap:
            raise ProbeFailed(f"probe output exceeded the {cap}-byte cap; poll abandoned")


class _Shell(Protocol):
    """A running `sh` whose stdin takes probe lines and whose stdout gives framed output."""

    def write(self, data: bytes) -> None: ...
    async def read_frame(self, marker: bytes, cap: int) -> bytes: ...
    def close(self) -> None: ...


class _SshShell:
    def __init__(self, process: asyncssh.SSHClientProcess[bytes]) -> None:
        self._process = process

    def write(self, data: bytes) -> None:
        try:
            self._process.stdin.write(data)
        except BrokenPipeError as exc:  # asyncssh: "Channel not open for sending"
            raise ChannelClosed("channel closed before the probe was sent", 0) from exc

    async def read_frame(self, marker: bytes, cap: int) -> bytes:
        return await read_frame(self._process.stdout, marker, cap)

    def close(self) -> None:
        _kill(self._process)
        self._process.close()

    async def closed(self, grace: float) -> bool:
        """Whether the channel finished closing within `grace` seconds."""
        try:
            async with asyncio.timeout(grace):
                await self._process.wait_closed()
        except TimeoutError:
            return False
        return True


def _kill(process: asyncssh.SSHClientProcess[bytes]) -> None:
    """Ask sshd to KILL the session's processes: closing the channel alone leaves them."""
    with contextlib.suppress(OSError):  # the channel is already closed: nothing to kill
        process.send_signal("KILL")


class _LocalShell:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    def write(self, data: bytes) -> None:
        assert self._process.stdin is not None  # created with stdin=PIPE
        self._process.stdin.write(data)

    async def read_frame(self, marker: bytes, cap: int) -> bytes:
        assert self._process.stdout is not None  # created with stdout=PIPE
        return await read_frame(self._process.stdout, marker, cap)

    def close(self) -> None:
        # the whole group: a child stuck in a hung df would otherwise outlive its shell
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signal.SIGKILL)
        if self._process.stdin is not None:
            self._process.stdin.close()

    async def wait(self) -> None:
        # reap it, so no zombie and no "unclosed transport" warning outlives the link
        await self._process.wait()


async def _run_shell(
    shell: _Shell,
    nonce: str,
    slow: bool,
    host: Host,
    due: tuple[int, ...] = (),
    rare: tuple[int, ...] | None = None,
) -> bytes:
    cadences = probe.plan_for(host).cadences if rare is None else rare
    shell.write(probe.invocation(nonce, slow=slow, due=due, rare=cadences).encode())
    return await shell.read_frame(probe.done_marker(nonce), host.max_output_bytes)


Connect = Callable[[Host], Awaitable[asyncssh.SSHClientConnection]]


class SshLink:
    """The kept connection and shell of one SSH host."""

    def __init__(self, host: Host, connect: Connect, clock: Callable[[], float]) -> None:
        self.host = host
        self._connect = connect
        self._clock = clock
        self._conn: asyncssh.SSHClientConnection | None = None
        self._shell: _SshShell | None = None
        self._reap_on_close = False
        self.mode: Mode = "shell"

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        """One poll. Raises PollError; connect failures leave no half-open state behind.
        `due`: indexes of the host's commands to run this time; `rare`: the slow cadences
        due besides the every-round one, None for all of them (poller/probe.py)."""
        reconnected, connect_s = False, 0.0
        if not self.connected:
            await self.close()
            started = self._clock()
            self._conn = await self._connect(self.host)
            reconnected, connect_s = True, self._clock() - started
        try:
            async with asyncio.timeout(self.host.timeout):
                output = await self._poll_once(nonce, slow, due, rare)
        except TimeoutError as exc:
            await self._end_shell()
            raise PollTimeout(
                f"probe on {self.host.name} did not finish in {self.host.timeout:g} s"
            ) from exc
        except BaseException as exc:
            if not isinstance(exc, Exception) and self._shell is not None:
                self._reap_on_close = True  # cancelled mid-poll: close() makes sure of it
            self._discard_shell()
            if isinstance(exc, Exception):
                raise translate(exc, self.host.name) from exc
            raise
        return RawPoll(output, self.mode, reconnected, connect_s)

    async def _poll_once(
        self, nonce: str, slow: bool, due: tuple[int, ...], rare: tuple[int, ...] | None
    ) -> bytes:
        if self.mode == "exec":
            return await self._exec(nonce, slow, due, rare)
        fresh = self._shell is None
        try:
            if self._shell is None:
                self._shell = await self._open_shell()
                self._shell.write(_definitions(self.host))
            return await _run_shell(self._shell, nonce, slow, self.host, due, rare)
        except (asyncssh.ChannelOpenError, ChannelClosed) as exc:
            # a refused session, or a forced command that ends it before printing
            # anything: use one exec channel per poll from now on (if exec fails too, the
            # poll fails with exec's reason)
            nothing_read = isinstance(exc, asyncssh.ChannelOpenError) or exc.received == 0
            if not (fresh and nothing_read and self.connected):
                raise
            self._discard_shell()
            self.mode = "exec"
            return await self._exec(nonce, slow, due, rare)

    async def _open_shell(self) -> _SshShell:
        assert self._conn is not None  # poll() connects first
        process = await self._conn.create_process(
            SESSION_COMMAND, term_type=None, encoding=None, stderr=asyncssh.DEVNULL
        )
        return _SshShell(process)

    async def _exec(
        self, nonce: str, slow: bool, due: tuple[int, ...], rare: tuple[int, ...] | None
    ) -> bytes:
        assert self._conn is not None  # poll() connects first
        process = await self._conn.create_process(
            probe.script(
                nonce,
                slow=slow,
                command_timeout=_budget(self.host),
                plan=probe.plan_for(self.host),
                due=due,
                rare=rare,
            ),
            term_type=None,
            encoding=None,
            stderr=asyncssh.DEVNULL,
        )
        try:
            # our side has nothing to send; a channel the server already closed is
            # reported by the read below
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write_eof()
            marker = probe.done_marker(nonce)
            return await read_frame(process.stdout, marker, self.host.max_output_bytes)
        finally:
            _kill(process)  # a no-op once it has ended (sshd ignores it under a forced command)
            process.close()

    async def run_command(self, command: str, *, cap: int, timeout: float) -> bytes:
        """Run one fixed command on an exec channel of the kept connection (the shell stays
        the probe's): for on-demand panels such as top processes. Output capped at `cap`."""
        if not self.connected:
            raise ProbeFailed(f"{self.host.name} is not connected right now")
        assert self._conn is not None
        try:
            async with asyncio.timeout(timeout):
                process = await self._conn.create_process(
                    command, term_type=None, encoding=None, stderr=asyncssh.DEVNULL
                )
                try:
                    with contextlib.suppress(BrokenPipeError):
                        process.stdin.write_eof()
                    return await _read_capped(process.stdout, cap)
                finally:
                    _kill(process)
                    process.close()
        except TimeoutError as exc:
            raise PollTimeout(
                f"command on {self.host.name} did not finish in {timeout:g} s"
            ) from exc
        except PollError:
            raise
        except Exception as exc:
            raise translate(exc, self.host.name) from exc

    def _discard_shell(self) -> None:
        if self._shell is not None:
            self._shell.close()
            self._shell = None

    async def _end_shell(self) -> None:
        """Kill and close the session, and wait until it is gone before another may open;
        if it will not close, drop the connection (the next poll reconnects)."""
        shell, self._shell = self._shell, None
        if shell is None:
            return
        shell.close()
        if not await self._reap():
            await self.close()
            return
        if not await shell.closed(CLOSE_GRACE_S):
            log.warning(
                "%s: session did not close %g s after a timeout; dropping the connection",
                self.host.name,
                CLOSE_GRACE_S,
            )
            await self.close()

    async def _reap(self) -> bool:
        """Kill what runs in this connection's other sessions; False if that failed."""
        try:
            await self.run_command(REAPER_COMMAND, cap=1024, timeout=CLOSE_GRACE_S)
        except PollError as exc:
            # every new session hangs too (an rc file?): nothing more can be done from here
            log.warning("%s: could not end a stuck session: %s", self.host.name, exc)
            return False
        return True

    async def close(self) -> None:
        self._discard_shell()
        if self._reap_on_close and self.connected:
            # a poll was cancelled mid-way (stop, reload): its processes may still run, and
            # the KILL signal sent with the close is refused for root logins
            self._reap_on_close = False
            await self._reap()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()
            try:
                async with asyncio.timeout(CLOSE_GRACE_S):
                    await conn.wait_closed()
            except TimeoutError:
                conn.abort()  # a peer that stopped reading must not hold up a stop or reload


class LocalLink:
    """`transport: local`: the same probe through a local `sh`, for the machine we run on."""

    mode: Mode = "local"

    def __init__(self, host: Host, shell: tuple[str, ...] = ("sh",)) -> None:
        self.host = host
        self._argv = shell
        self._shell: _LocalShell | None = None

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        reconnected = self._shell is None
        try:
            async with asyncio.timeout(self.host.timeout):
                if self._shell is None:
                    self._shell = await self._start()
                    self._shell.write(_definitions(self.host))
                output = await _run_shell(self._shell, nonce, slow, self.host, due, rare)
        except BaseException as exc:
            await self.close()
            if isinstance(exc, TimeoutError):
                raise PollTimeout(f"local probe did not finish in {self.host.timeout:g} s") from exc
            if isinstance(exc, PollError | OSError):
                raise translate(exc, self.host.name) from exc
            raise
        return RawPoll(output, self.mode, reconnected)

    async def run_command(self, command: str, *, cap: int, timeout: float) -> bytes:
        """The local twin of SshLink.run_command: one `sh -c` of a fixed command.

        It runs in a session of its own so a timeout can kill the whole process group: a
        child left holding stdout (sleep, a hung df) would otherwise keep the pipe open."""
        process = await asyncio.create_subprocess_exec(
            *self._argv,
            "-c",
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        assert process.stdout is not None
        try:
            async with asyncio.timeout(timeout):
                return await _read_capped(process.stdout, cap)
        except TimeoutError as exc:
            raise PollTimeout(f"local command did not finish in {timeout:g} s") from exc
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    async def _start(self) -> _LocalShell:
        process = await asyncio.create_subprocess_exec(
            *self._argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so close() can kill it all
        )
        return _LocalShell(process)

    @property
    def connected(self) -> bool:
        return self._shell is not None

    async def close(self) -> None:
        if self._shell is not None:
            shell, self._shell = self._shell, None
            shell.close()
            await shell.wait()


def _definitions(host: Host) -> bytes:
    """The probe's shell functions for this host's collectors (poller/probe.py)."""
    return probe.definitions(_budget(host), probe.plan_for(host)).encode()


def _budget(host: Host) -> int:
    return probe.command_timeout_s(host.timeout)


async def _read_capped(reader: _Reader, cap: int) -> bytes:
    """Everything up to EOF, or the first `cap` bytes (the rest is not waited for)."""
    chunks: list[bytes] = []
    size = 0
    while size < cap:
        chunk = await reader.read(min(READ_CHUNK, cap - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def link_for(host: Host, connect: Connect, clock: Callable[[], float]) -> SshLink | LocalLink:
    """The link a host's `transport:` asks for."""
    if host.transport == "local":
        return LocalLink(host)
    return SshLink(host, connect, clock)
