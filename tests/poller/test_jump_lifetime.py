"""A host behind a jump host must not leak connections to the jump host as it reconnects."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from sshd import Sshd

from poller.ssh import Connector, SshSettings

pytestmark = pytest.mark.sshd


async def test_closing_a_host_behind_a_jump_closes_its_jump_connection(
    sshd: Sshd, sshd_factory: Any, tmp_path: Path
) -> None:
    jump: Sshd = sshd_factory()
    known = jump.trust_into(sshd.trust_into(tmp_path / "known_hosts"))
    bastion = jump.host(name="bastion")
    settings = SshSettings(
        known_hosts=known, ssh_config=(), user_known_hosts=(), peers={"bastion": bastion}
    )
    connector = Connector(settings)
    target = sshd.host(jump="bastion")
    for _ in range(3):  # three reconnects of the target
        conn = await connector.connect(target)
        assert jump.sessions(), "the target connection goes through the jump sshd"
        conn.close()
        await conn.wait_closed()
    deadline = time.monotonic() + 60  # sshd ends sessions when it gets to it; a hang guard
    while time.monotonic() < deadline:
        if not jump.sessions():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"jump connections left open: {len(jump.sessions())} sshd sessions")
