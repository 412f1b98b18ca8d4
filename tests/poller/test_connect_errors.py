"""A connect failure names the inventory entry and the address and port it tried."""

from __future__ import annotations

import socket
from pathlib import Path

from fake_servers import isolated_settings

from poller.check import check
from poller.inventory import Host
from poller.points import HostState


def _closed_port() -> int:
    with socket.socket() as s:  # bound, never listening: a connect is refused
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_refused_connect_names_the_address_and_port(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    port = _closed_port()
    host = Host(name="web-1", address="127.0.0.1", port=port, user="x", connect_timeout=5)
    [result] = await check([host], known, settings=isolated_settings(known))
    assert result.state is HostState.UNREACHABLE
    assert result.reason.startswith(f"web-1 (127.0.0.1:{port}) refused the connection")


async def test_an_ipv6_address_is_bracketed(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    host = Host(name="v6", address="::1", port=_closed_port(), user="x", connect_timeout=5)
    [result] = await check([host], known, settings=isolated_settings(known))
    assert result.state is HostState.UNREACHABLE
    assert f"v6 ([::1]:{host.port})" in result.reason
