"""`sshmon trust` and `check`'s hint against real SSH servers: the demo fleet's in-process
asyncssh targets, each with its own generated host key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demo import targets
from sshmon.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def fleet() -> Iterator[targets.Fleet]:
    with targets.running(3) as running:
        yield running


def _inventory(tmp_path: Path, fleet: targets.Fleet, *, local: bool = False) -> Path:
    hosts = "".join(
        f"  {t.host.name}: {{address: 127.0.0.1, port: {t.port}, user: demo}}\n"
        for t in fleet.targets
    )
    if local:
        hosts += "  here: {transport: local}\n"
    path = tmp_path / "inventory.yaml"
    path.write_text(
        f"poller: {{data_dir: {tmp_path / 'data'}, known_hosts: {tmp_path / 'known_hosts'}}}\n"
        f"defaults: {{connect_timeout: 5s}}\nhosts:\n{hosts}"
    )
    return path


def _recorded(tmp_path: Path) -> str:
    path = tmp_path / "known_hosts"
    return path.read_text() if path.exists() else ""


def test_trust_takes_several_hosts(tmp_path: Path, fleet: targets.Fleet) -> None:
    inv = _inventory(tmp_path, fleet)
    web, db, _ = fleet.targets
    result = runner.invoke(app, ["trust", "web-01", "db-01", "--yes", "-i", str(inv)])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("SHA256:") == 2
    known = _recorded(tmp_path)
    assert f"[127.0.0.1]:{web.port} " in known and f"[127.0.0.1]:{db.port} " in known


def test_all_unknown_records_only_the_unknown_ones(tmp_path: Path, fleet: targets.Fleet) -> None:
    inv = _inventory(tmp_path, fleet, local=True)
    assert runner.invoke(app, ["trust", "web-01", "--yes", "-i", str(inv)]).exit_code == 0
    result = runner.invoke(app, ["trust", "--all-unknown", "--yes", "-i", str(inv)])
    assert result.exit_code == 0, result.output
    assert "web-01" not in result.stdout  # already trusted: not offered again
    assert "db-01 presents" in result.stdout and "files-01 presents" in result.stdout
    assert "here" not in result.stdout  # a local host has no key to trust
    assert all(f"]:{t.port} " in _recorded(tmp_path) for t in fleet.targets)
    again = runner.invoke(app, ["trust", "--all-unknown", "--yes", "-i", str(inv)])
    assert "no host has an unknown key" in again.stdout


def test_all_unknown_shows_each_fingerprint_before_asking(
    tmp_path: Path, fleet: targets.Fleet
) -> None:
    inv = _inventory(tmp_path, fleet)
    # yes to the first, no to the other two
    result = runner.invoke(app, ["trust", "--all-unknown", "-i", str(inv)], input="y\nn\nn\n")
    assert result.exit_code == 1  # not everything asked for was recorded
    assert result.stdout.count("SHA256:") == 3
    assert _recorded(tmp_path).count("[127.0.0.1]") == 1


def test_trust_of_a_local_host_needs_no_key(tmp_path: Path, fleet: targets.Fleet) -> None:
    inv = _inventory(tmp_path, fleet, local=True)
    result = runner.invoke(app, ["trust", "here", "-i", str(inv)])
    assert result.exit_code == 0
    assert "transport: local" in result.stdout and "no key to trust" in result.stdout
    assert _recorded(tmp_path) == ""


def test_trust_wants_hosts_or_all_unknown(tmp_path: Path, fleet: targets.Fleet) -> None:
    inv = _inventory(tmp_path, fleet)
    for args in ([], ["web-01", "--all-unknown"]):
        result = runner.invoke(app, ["trust", *args, "-i", str(inv)])
        assert result.exit_code == 2
        assert "--all-unknown" in result.stderr


def test_check_prints_the_exact_trust_command(tmp_path: Path, fleet: targets.Fleet) -> None:
    inv = _inventory(tmp_path, fleet)
    result = runner.invoke(app, ["check", "-i", str(inv)])
    assert result.exit_code == 1
    assert f"run: sshmon trust web-01 db-01 files-01 -i {inv}" in result.stderr
