"""Why a poll failed: one exception tree, and the one place library exceptions become it.

Every failure of the SSH or local transport ends up as a `PollError` whose class names the
`HostState` an operator sees (`sshmon check`, the host-down alert) and whose `reason` says
in words what happened. `translate` is the only function that looks at asyncssh or OS
exception types (CONVENTIONS.md rule 13: most specific first).
"""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import ClassVar

import asyncssh

from poller.points import HostState


class PollError(Exception):
    """A poll of one host failed; `state` says which kind of failure, `reason` says why."""

    state: ClassVar[HostState] = HostState.PROBE_FAILED

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unreachable(PollError):
    state = HostState.UNREACHABLE


class AuthFailed(PollError):
    state = HostState.AUTH_FAILED


class HostKeyUnknown(PollError):
    """The host presented a key found in no known_hosts file; it is not polled until trusted."""

    state = HostState.HOST_KEY_UNKNOWN

    def __init__(self, reason: str, presented: str = "") -> None:
        super().__init__(reason)
        self.presented = presented


class HostKeyChanged(PollError):
    """The host presented a key other than the one recorded: refused, both fingerprints kept."""

    state = HostState.HOST_KEY_CHANGED

    def __init__(self, reason: str, presented: str = "", known: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.presented = presented
        self.known = known


class PollTimeout(PollError):
    state = HostState.TIMEOUT


class ProbeFailed(PollError):
    """The connection worked but the probe's output was missing, too big, cut off or garbage."""

    state = HostState.PROBE_FAILED


# errno values that mean "no path to that address" rather than "nobody listening".
_NO_ROUTE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


def translate(exc: BaseException, target: str, host_key: PollError | None = None) -> PollError:
    """Turn whatever a connect or a poll raised into a PollError naming `target`.

    `host_key` is the verdict the host-key check recorded while the handshake ran: asyncssh
    only says "not verifiable", the verdict says whether the key was unknown or changed.
    """
    if isinstance(exc, PollError):
        return exc
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        if host_key is not None:
            return host_key
        return HostKeyUnknown(f"host key of {target} could not be verified: {exc.reason}")
    if isinstance(exc, asyncssh.PermissionDenied):
        return AuthFailed(f"{target} refused every offered credential ({exc.reason})")
    if isinstance(exc, asyncssh.KeyImportError | asyncssh.KeyEncryptionError):
        return AuthFailed(f"cannot load a private key for {target}: {exc}")
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return PollTimeout(f"{target} did not answer in time")
    if isinstance(exc, asyncssh.ChannelOpenError):
        return ProbeFailed(f"{target} refused a session channel: {exc.reason}")
    if isinstance(exc, asyncssh.DisconnectError):
        return Unreachable(f"{target} closed the connection: {exc.reason or type(exc).__name__}")
    return _translate_os(exc, target)


def _translate_os(exc: BaseException, target: str) -> PollError:
    if isinstance(exc, socket.gaierror):
        return Unreachable(f"cannot resolve {target}: {exc.strerror}")
    if isinstance(exc, ConnectionRefusedError):
        return Unreachable(f"{target} refused the connection (nothing listening?)")
    if isinstance(exc, ConnectionError):
        return Unreachable(f"connection to {target} lost: {exc.strerror or exc}")
    if isinstance(exc, OSError):
        if exc.errno in _NO_ROUTE:
            return Unreachable(f"no route to {target}: {exc.strerror}")
        # OSError without errno: asyncssh raises e.g. "Multiple exceptions: ..." when every
        # address of a name failed to connect
        return Unreachable(f"cannot connect to {target}: {exc.strerror or exc}")
    if isinstance(exc, EOFError):
        return ProbeFailed(f"{target} closed the channel before the probe finished")
    if isinstance(exc, ValueError):
        # asyncssh raises ValueError for unusable options (e.g. a bad ProxyJump spec)
        return Unreachable(f"cannot connect to {target}: {exc}")
    raise exc
