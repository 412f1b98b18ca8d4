"""asyncssh's MSG_IGNORE before every packet is left out unless the cipher is CBC.

Seen from the client's own packet log (asyncssh debug level 3) against the real sshd:
the probe line goes out as one CHANNEL_DATA, and the poll still answers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from fake_servers import isolated_settings
from sshd import Sshd

from poller import probe
from poller.ssh import Connector, send_no_ignore_padding
from poller.transport import SshLink

pytestmark = pytest.mark.sshd
SENT = re.compile(r"\] Sent (MSG_\w+) \(")


@pytest.fixture
def packet_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    asyncssh.set_debug_level(3)  # asyncssh logs each packet sent and received
    try:
        with caplog.at_level(logging.DEBUG, logger="asyncssh"):
            yield caplog
    finally:
        asyncssh.set_debug_level(1)


def _sent(log: pytest.LogCaptureFixture) -> list[str]:
    """Names of the packets the client sent: "[conn=0, pktid=7] Sent MSG_IGNORE (2), …"."""
    return [m.group(1) for r in log.records if (m := SENT.search(r.getMessage()))]


async def test_a_poll_sends_its_probe_line_without_an_ignore_packet(
    sshd: Sshd, tmp_path: Path, packet_log: pytest.LogCaptureFixture
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    connector = Connector(isolated_settings(known))
    link = SshLink(sshd.host(), connector.connect, time.monotonic)
    try:
        nonce = probe.new_nonce()
        raw = await link.poll(nonce, slow=False)
    finally:
        await link.close()
    assert raw.output.endswith(probe.done_marker(nonce))
    sent = _sent(packet_log)
    assert "MSG_CHANNEL_DATA" in sent, sent  # the log did see the poll
    assert "MSG_IGNORE" not in sent


async def test_a_cbc_cipher_keeps_the_ignore_packets(
    sshd_factory: Any, tmp_path: Path, packet_log: pytest.LogCaptureFixture
) -> None:
    server: Sshd = sshd_factory(extra_config="Ciphers aes128-cbc\n")
    send_no_ignore_padding()
    host = server.host()
    async with asyncssh.connect(
        host.address,
        port=host.port,
        username=host.user,
        client_keys=[str(p) for p in host.identity_files],
        known_hosts=str(server.trust_into(tmp_path / "known_hosts")),
        encryption_algs=["aes128-cbc"],
        config=None,
    ) as conn:
        assert conn.get_extra_info("send_cipher") == "aes128-cbc"
        await conn.run("true", check=True)
    assert "MSG_IGNORE" in _sent(packet_log)
