"""The SSH options sshmon derives per host (poller/ssh.py)."""

from __future__ import annotations

from pathlib import Path

from poller.inventory import Host
from poller.ssh import Connector, SshSettings


def _host(interval: float) -> Host:
    return Host.model_validate({"name": "h", "address": "10.0.0.1", "interval": interval})


def test_keepalive_is_left_to_the_polls_only_where_they_come_more_often(tmp_path: Path) -> None:
    connector = Connector(SshSettings(known_hosts=tmp_path / "known", keepalive_interval_s=15))
    assert connector._keepalive_s(_host(10)) == 0  # polls every 10 s are the keepalive
    assert connector._keepalive_s(_host(15)) == 15
    assert connector._keepalive_s(_host(300)) == 15  # idle between polls: asyncssh's
