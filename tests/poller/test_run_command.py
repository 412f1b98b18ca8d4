"""One-off fixed commands on a host's link (the top-processes panel): capped and timed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_servers import isolated_settings
from sshd import Sshd

from poller.errors import PollTimeout, ProbeFailed
from poller.inventory import Host
from poller.probe import new_nonce
from poller.scheduler import SystemClock
from poller.ssh import Connector
from poller.transport import LocalLink, SshLink

LOCAL = Host(name="here", address="here", transport="local")


async def test_local_command_output_is_returned_and_capped() -> None:
    link = LocalLink(LOCAL)
    assert await link.run_command("echo hello", cap=1024, timeout=10) == b"hello\n"
    capped = await link.run_command("yes | head -c 100000", cap=1000, timeout=10)
    assert capped == b"y\n" * 500


async def test_local_command_that_hangs_times_out() -> None:
    with pytest.raises(PollTimeout, match="did not finish"):
        await LocalLink(LOCAL).run_command("sleep 30", cap=1024, timeout=0.3)


@pytest.mark.sshd
async def test_ssh_command_runs_beside_the_kept_shell(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    link = SshLink(
        sshd.host(), Connector(isolated_settings(known)).connect, SystemClock().monotonic
    )
    with pytest.raises(ProbeFailed, match="not connected"):
        await link.run_command("true", cap=10, timeout=5)
    try:
        await link.poll(new_nonce(), slow=False)
        assert await link.run_command("echo $((6*7))", cap=1024, timeout=10) == b"42\n"
        capped = await link.run_command("yes | head -c 200000", cap=4096, timeout=10)
        assert len(capped) == 4096
        with pytest.raises(PollTimeout):
            await link.run_command("sleep 30", cap=1024, timeout=0.5)
        # the probe's shell is untouched by all of that
        again = await link.poll(new_nonce(), slow=False)
        assert b"/proc/loadavg" in again.output and not again.reconnected
    finally:
        await link.close()
