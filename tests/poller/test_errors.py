"""The one translation from library and OS exceptions to a host state and words."""

from __future__ import annotations

import errno
import socket

import asyncssh
import pytest

from poller.errors import HostKeyChanged, PollError, translate
from poller.points import HostState


@pytest.mark.parametrize(
    ("exc", "state", "words"),
    [
        pytest.param(
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            HostState.UNREACHABLE,
            "cannot resolve web-1",
            id="dns",
        ),
        pytest.param(
            ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            HostState.UNREACHABLE,
            "refused the connection",
            id="refused",
        ),
        pytest.param(
            OSError(errno.EHOSTUNREACH, "No route to host"),
            HostState.UNREACHABLE,
            "no route to web-1",
            id="no-route",
        ),
        pytest.param(
            asyncssh.PermissionDenied("Permission denied"),
            HostState.AUTH_FAILED,
            "refused every offered credential",
            id="auth",
        ),
        pytest.param(
            asyncssh.HostKeyNotVerifiable("Host key is not trusted"),
            HostState.HOST_KEY_UNKNOWN,
            "could not be verified",
            id="host-key",
        ),
        pytest.param(TimeoutError(), HostState.TIMEOUT, "did not answer in time", id="timeout"),
        pytest.param(
            asyncssh.ConnectionLost("Connection lost"),
            HostState.UNREACHABLE,
            "closed the connection",
            id="lost",
        ),
        pytest.param(
            asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, "no sessions"),
            HostState.PROBE_FAILED,
            "refused a session channel",
            id="channel",
        ),
        pytest.param(
            asyncssh.KeyImportError("Invalid private key"),
            HostState.AUTH_FAILED,
            "cannot load a private key",
            id="bad-key",
        ),
    ],
)
def test_each_failure_names_its_state_and_reason(
    exc: BaseException, state: HostState, words: str
) -> None:
    translated = translate(exc, "web-1")
    assert isinstance(translated, PollError)
    assert translated.state is state
    assert words in translated.reason


def test_host_key_verdict_wins_over_asyncssh_generic_message() -> None:
    verdict = HostKeyChanged("CHANGED", presented="SHA256:new", known=("SHA256:old",))
    exc = asyncssh.HostKeyNotVerifiable("Host key is not trusted")
    assert translate(exc, "web-1", verdict) is verdict


def test_programming_errors_are_not_disguised_as_host_failures() -> None:
    with pytest.raises(KeyError):
        translate(KeyError("bug"), "web-1")
