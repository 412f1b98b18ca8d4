"""The SSH options sshmon derives per host (poller/ssh.py)."""

from __future__ import annotations

from pathlib import Path

from poller.inventory import Host
from poller.ssh import Connector, SshSettings


def _host(interval: float, timeout: float = 10) -> Host:
    return Host.model_validate(
        {"name": "h", "address": "10.0.0.1", "interval": interval, "timeout": timeout}
    )


def test_keepalive_is_left_to_the_polls_where_they_notice_a_dead_peer_as_soon(
    tmp_path: Path,
) -> None:
    # keepalive 15 s x 3 unanswered: a dead peer is dropped 45 s after its last answer;
    # a poll fails within interval + timeout of it
    connector = Connector(SshSettings(known_hosts=tmp_path / "known", keepalive_interval_s=15))
    assert connector._keepalive_s(_host(10)) == 0  # 20 s: polls every 10 s are the keepalive
    assert connector._keepalive_s(_host(30)) == 0  # 40 s: it fired once a poll, for nothing
    assert connector._keepalive_s(_host(35)) == 0  # 45 s: as soon
    assert connector._keepalive_s(_host(30, timeout=20)) == 15  # 50 s: later than 45
    assert connector._keepalive_s(_host(60)) == 15
    assert connector._keepalive_s(_host(300)) == 15  # idle between polls: asyncssh's
    fewer = Connector(
        SshSettings(known_hosts=tmp_path / "known", keepalive_interval_s=15, keepalive_count_max=1)
    )
    assert fewer._keepalive_s(_host(10)) == 15  # 20 s against 15: the keepalive is sooner
