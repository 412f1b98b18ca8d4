"""Against a real OpenSSH sshd on 127.0.0.1: check, trust, host keys, auth, fallback, jumps."""

from __future__ import annotations

import asyncio
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_clock import FakeClock
from fake_servers import isolated_settings
from sshd import Sshd

from poller.check import check, probe_once, probe_twice
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller
from poller.scheduler import SystemClock
from poller.ssh import Connector, SshSettings, fetch_host_key, trust
from poller.transport import SshLink

pytestmark = pytest.mark.sshd


def _fingerprint(pub: Path) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(pub)], capture_output=True, text=True, check=True
    )
    return out.stdout.split()[1]


async def test_check_of_a_trusted_host_is_ok_with_os_and_latency(
    sshd: Sshd, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    [result] = await check([sshd.host()], known, settings=isolated_settings(known))
    assert result.state is HostState.OK, result.reason
    assert result.connect_ms is not None and 0 < result.connect_ms < 5000
    assert result.kernel and result.os_name


async def test_unknown_host_key_is_refused_until_trusted(sshd: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    settings = isolated_settings(known)
    [before] = await check([sshd.host()], known, settings=settings)
    expected = _fingerprint(Path(f"{sshd.host_key}.pub"))
    assert before.state is HostState.HOST_KEY_UNKNOWN
    assert expected in before.reason
    assert not known.exists()  # nothing was recorded on the way

    offer = await fetch_host_key(sshd.host(), known, settings=settings)
    assert (offer.key_type, offer.fingerprint) == ("ssh-ed25519", expected)
    assert offer.known == () and not offer.changed
    await trust(sshd.host(), known, offer=offer, settings=settings)
    assert known.read_text().startswith(f"[127.0.0.1]:{sshd.port} ssh-ed25519 ")

    [after] = await check([sshd.host()], known, settings=settings)
    assert after.state is HostState.OK, after.reason


async def test_trust_on_first_use_records_the_key_and_polls(sshd: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "sshmon" / "known_hosts"
    host = sshd.host(trust_on_first_use=True)
    [result] = await check([host], known, settings=isolated_settings(known))
    assert result.state is HostState.OK, result.reason
    assert sshd.known_hosts_line().split()[2] in known.read_text()


async def test_changed_host_key_is_refused_with_both_fingerprints(
    sshd_factory: Any, tmp_path: Path
) -> None:
    server: Sshd = sshd_factory()
    known = server.trust_into(tmp_path / "known_hosts")
    old = _fingerprint(Path(f"{server.host_key}.pub"))
    settings = isolated_settings(known)
    [ok] = await check([server.host(trust_on_first_use=True)], known, settings=settings)
    assert ok.state is HostState.OK

    server.restart(new_host_key=True)
    new = _fingerprint(Path(f"{server.host_key}.pub"))
    recorded = known.read_text()
    # trust_on_first_use must not paper over a change either
    [changed] = await check([server.host(trust_on_first_use=True)], known, settings=settings)
    assert changed.state is HostState.HOST_KEY_CHANGED
    assert old in changed.reason and new in changed.reason
    assert known.read_text() == recorded
    offer = await fetch_host_key(server.host(), known, settings=settings)
    assert offer.changed and offer.known == (old,)


async def test_wrong_client_key_is_auth_failed(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(identity_files=(sshd.wrong_key,))
    [result] = await check([host], known, settings=isolated_settings(known))
    assert result.state is HostState.AUTH_FAILED
    assert "refused" in result.reason


async def test_closed_port_is_unreachable(tmp_path: Path, sshd: Sshd) -> None:
    known = tmp_path / "known_hosts"
    host = sshd.host(port=1)  # nothing listens on tcpmux on loopback
    [result] = await check([host], known, settings=isolated_settings(known))
    assert result.state is HostState.UNREACHABLE
    assert "refused the connection" in result.reason


async def test_probe_runs_in_a_kept_sh_session(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    first, second = await probe_twice(
        sshd.host(), known, interval=0.2, settings=isolated_settings(known)
    )
    assert first.status.state is HostState.OK and second.status.state is HostState.OK
    assert first.connect_s is not None and second.connect_s is None  # one connection
    metrics = {p.metric for p in second.points}
    assert "load1" in metrics and any(m.startswith("cpu_") for m in metrics)


async def test_raw_probe_is_the_framed_output_as_received(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    outcome = await probe_once(sshd.host(), known, settings=isolated_settings(known))
    assert outcome.raw is not None
    assert outcome.raw.startswith(b"@@sshmon ") and outcome.raw.endswith(b" done\n")
    assert b"==> /proc/stat <==" in outcome.raw and b"begin df" in outcome.raw


async def test_forced_command_falls_back_to_exec_per_poll(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(identity_files=(sshd.forced_key,))
    connector = Connector(isolated_settings(known))
    clock = SystemClock()
    poller = HostPoller(host, SshLink(host, connector.connect, clock.monotonic), clock)
    try:
        outcomes = [await poller.poll(), await poller.poll()]
    finally:
        await poller.close()
    assert [o.status.state for o in outcomes] == [HostState.OK, HostState.OK]
    assert poller.link.mode == "exec"
    assert outcomes[1].points


def _ssh_config(path: Path, text: str) -> tuple[Path, ...]:
    path.write_text(text)
    return (path,)


async def test_ssh_config_alias_supplies_hostname_port_user_and_key(
    sshd: Sshd, tmp_path: Path
) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    config = _ssh_config(
        tmp_path / "ssh_config",
        f"Host box-alias\n  HostName 127.0.0.1\n  Port {sshd.port}\n  User {sshd.user}\n"
        f"  IdentityFile {sshd.client_key}\n",
    )
    settings = SshSettings(known_hosts=known, ssh_config=config, user_known_hosts=())
    host = sshd.host(address="box-alias", port=None, user=None, identity_files=())
    [result] = await check([host], known, settings=settings)
    assert result.state is HostState.OK, result.reason


async def test_jump_host_from_inventory_is_verified_and_used(
    sshd: Sshd, sshd_factory: Any, tmp_path: Path
) -> None:
    jump: Sshd = sshd_factory()
    known = sshd.trust_into(tmp_path / "known_hosts")
    bastion = jump.host("bastion")
    target = sshd.host("behind", jump="bastion")
    settings = SshSettings(
        known_hosts=known, ssh_config=(), user_known_hosts=(), peers={"bastion": bastion}
    )
    [refused] = await check([target], known, settings=settings)
    assert refused.state is HostState.HOST_KEY_UNKNOWN
    assert "bastion" in refused.reason  # the jump host's key is checked like any other

    jump.trust_into(known)
    [result] = await check([target], known, settings=settings)
    assert result.state is HostState.OK, result.reason
    await _assert_tunnelled_through(jump, Connector(settings), target)


async def _assert_tunnelled_through(jump: Sshd, connector: Connector, host: Host) -> None:
    """Stopping the jump sshd must take the target connection down with it."""
    conn = await connector.connect(host)
    try:
        jump.stop()
        await asyncio.wait_for(conn.wait_closed(), timeout=5)
    finally:
        conn.close()


async def test_proxyjump_from_ssh_config(sshd: Sshd, sshd_factory: Any, tmp_path: Path) -> None:
    jump: Sshd = sshd_factory()
    known = jump.trust_into(sshd.trust_into(tmp_path / "known_hosts"))
    config = _ssh_config(
        tmp_path / "ssh_config",
        f"Host target-alias\n  HostName 127.0.0.1\n  Port {sshd.port}\n  ProxyJump jump-alias\n"
        f"Host jump-alias\n  HostName 127.0.0.1\n  Port {jump.port}\n"
        f"Host *\n  User {sshd.user}\n  IdentityFile {sshd.client_key}\n",
    )
    # the jump sshd accepts a different client key: proves the hop used the config too
    jump.authorized_keys.write_text(Path(f"{sshd.client_key}.pub").read_text())
    settings = SshSettings(known_hosts=known, ssh_config=config, user_known_hosts=())
    host = sshd.host(address="target-alias", port=None, user=None, identity_files=())
    [result] = await check([host], known, settings=settings)
    assert result.state is HostState.OK, result.reason
    await _assert_tunnelled_through(jump, Connector(settings), host)


async def test_dropped_connection_is_reestablished_with_slow_sections(
    sshd_factory: Any, tmp_path: Path
) -> None:
    server: Sshd = sshd_factory()
    known = server.trust_into(tmp_path / "known_hosts")
    host = server.host(slow_every=6)
    clock = FakeClock()  # backoff waits pass by hand, not by sleeping
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock, rng=random.Random(7))
    try:
        first, second = await poller.poll(), await poller.poll()
        assert first.host_info is not None and second.host_info is None  # slow, then fast
        assert server.drop_connections() >= 1
        outcomes = []
        for _ in range(6):
            await clock.advance(host.interval)
            outcomes.append(await poller.poll())
            if outcomes[-1].status.state is HostState.OK:
                break
    finally:
        await poller.close()
    back = outcomes[-1]
    assert back.status.state is HostState.OK, [o.status for o in outcomes]
    assert back.connect_s is not None  # a new connection
    assert back.host_info is not None  # the first poll after a reconnect is a slow one
    assert all(o.status.reason for o in outcomes[:-1])  # any failure on the way said why


async def test_sshd_restart_is_survived(sshd_factory: Any, tmp_path: Path) -> None:
    server: Sshd = sshd_factory()
    known = server.trust_into(tmp_path / "known_hosts")
    host = server.host()
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock, rng=random.Random(7))
    try:
        assert (await poller.poll()).status.state is HostState.OK
        server.restart()
        states = []
        for _ in range(6):
            await clock.advance(host.interval)
            states.append((await poller.poll()).status.state)
            if states[-1] is HostState.OK:
                break
    finally:
        await poller.close()
    assert states[-1] is HostState.OK, states


async def test_passphrase_comes_only_from_the_named_environment_variable(
    sshd_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server: Sshd = sshd_factory()
    key = tmp_path / "locked_key"
    # PKCS8: asyncssh decrypts it with `cryptography` alone; OpenSSH-format encrypted keys
    # also need the `bcrypt` package
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ecdsa", "-m", "PKCS8", "-N", "s3cret", "-f", str(key)],
        check=True,
    )
    server.authorized_keys.write_text(Path(f"{key}.pub").read_text())
    known = server.trust_into(tmp_path / "known_hosts")
    host = server.host(identity_files=(key,), passphrase_env="SSHMON_TEST_PASSPHRASE")
    settings = isolated_settings(known)
    monkeypatch.delenv("SSHMON_TEST_PASSPHRASE", raising=False)
    [missing] = await check([host], known, settings=settings)
    assert missing.state is HostState.AUTH_FAILED
    assert "SSHMON_TEST_PASSPHRASE" in missing.reason
    monkeypatch.setenv("SSHMON_TEST_PASSPHRASE", "wrong")
    [wrong] = await check([host], known, settings=settings)
    assert wrong.state is HostState.AUTH_FAILED
    monkeypatch.setenv("SSHMON_TEST_PASSPHRASE", "s3cret")
    [right] = await check([host], known, settings=settings)
    assert right.state is HostState.OK, right.reason


async def test_hosts_own_known_hosts_file_is_honoured(sshd: Sshd, tmp_path: Path) -> None:
    own = tmp_path / "sshmon_known_hosts"  # stays empty
    theirs = sshd.trust_into(tmp_path / "team_known_hosts")
    host = sshd.host(known_hosts=theirs)
    [result] = await check([host], own, settings=isolated_settings(own))
    assert result.state is HostState.OK, result.reason
    assert not own.exists()


async def test_check_reports_every_host_in_order_with_progress(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    hosts = [
        sshd.host("good"),
        sshd.host("bad-key", identity_files=(sshd.wrong_key,)),
        sshd.host("closed", port=1),
        sshd.host("good-again"),
    ]
    done: list[str] = []
    results = await check(
        hosts, known, settings=isolated_settings(known), progress=lambda r: done.append(r.host)
    )
    assert [r.host for r in results] == ["good", "bad-key", "closed", "good-again"]
    assert [r.state for r in results] == [
        HostState.OK,
        HostState.AUTH_FAILED,
        HostState.UNREACHABLE,
        HostState.OK,
    ]
    assert sorted(done) == sorted(r.host for r in results)


@pytest.fixture
def agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real ssh-agent on a socket in tmp; SSH_AUTH_SOCK points at it for the test."""
    if shutil.which("ssh-agent") is None:
        pytest.skip("ssh-agent not installed (openssh-client)")
    sock = tmp_path / "agent.sock"
    proc = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # waits for the agent's socket, not for time to pass
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield sock
    finally:
        proc.terminate()
        proc.wait()


async def test_key_from_ssh_agent(sshd: Sshd, agent: Path, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    host = sshd.host(identity_files=())  # no key file: only the agent can log in
    subprocess.run(["ssh-add", "-q", str(sshd.client_key)], check=True, capture_output=True)
    [result] = await check([host], known, settings=isolated_settings(known))
    assert result.state is HostState.OK, result.reason
    subprocess.run(["ssh-add", "-q", "-D"], check=True, capture_output=True)
    [without] = await check([host], known, settings=isolated_settings(known))
    assert without.state is HostState.AUTH_FAILED


async def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for something real to happen on the target (not for time to pass). The bound
    only turns a hang into a failure: generous, since a loaded CI machine is slow."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


async def test_connection_dropped_mid_poll_fails_that_poll_then_reconnects(
    sshd_factory: Any, tmp_path: Path
) -> None:
    server: Sshd = sshd_factory()
    known = server.trust_into(tmp_path / "known_hosts")
    host = server.host(identity_files=(server.held_key,))
    clock = FakeClock()
    link = SshLink(host, Connector(isolated_settings(known)).connect, clock.monotonic)
    poller = HostPoller(host, link, clock, rng=random.Random(3))
    server.hold.touch()
    try:
        in_flight = asyncio.create_task(poller.poll())
        await _until(lambda: server.running("sleep"), "probe held in tail")
        server.hold.unlink()
        assert server.drop_connections() >= 1
        cut = await in_flight
        await clock.advance(host.interval * 10)  # past any reconnect backoff
        back = await poller.poll()
    finally:
        await poller.close()
    assert cut.status.state in (HostState.PROBE_FAILED, HostState.UNREACHABLE)
    assert "closed" in cut.status.reason or "lost" in cut.status.reason, cut.status.reason
    assert back.status.state is HostState.OK, back.status.reason
    assert back.connect_s is not None and back.host_info is not None
    assert link.mode == "shell"  # a cut session is not mistaken for a refused shell


async def test_jump_given_as_user_at_host_port(
    sshd: Sshd, sshd_factory: Any, tmp_path: Path
) -> None:
    jump: Sshd = sshd_factory()
    known = jump.trust_into(sshd.trust_into(tmp_path / "known_hosts"))
    # the hop has no inventory entry: its key comes from ~/.ssh/config, as with OpenSSH
    config = _ssh_config(
        tmp_path / "ssh_config", f"Host 127.0.0.1\n  IdentityFile {jump.client_key}\n"
    )
    settings = SshSettings(known_hosts=known, ssh_config=config, user_known_hosts=())
    target = sshd.host(jump=f"{jump.user}@127.0.0.1:{jump.port}")
    [result] = await check([target], known, settings=settings)
    assert result.state is HostState.OK, result.reason
    await _assert_tunnelled_through(jump, Connector(settings), target)


async def test_preferred_cipher_is_aes128_gcm(sshd: Sshd, tmp_path: Path) -> None:
    known = sshd.trust_into(tmp_path / "known_hosts")
    conn = await Connector(isolated_settings(known)).connect(sshd.host())
    try:
        assert conn.get_extra_info("send_cipher") == "aes128-gcm@openssh.com"
    finally:
        conn.close()
        await conn.wait_closed()
