"""The CLI as a user runs it (`sshmon` in a subprocess) against a real OpenSSH sshd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sshd import Sshd

SSHMON = Path(sys.executable).with_name("sshmon")


def inventory(tmp_path: Path, server: Sshd, key: Path | None = None) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        f"""poller:
  data_dir: {tmp_path / "data"}
hosts:
  target:
    address: {server.address}
    port: {server.port}
    user: {server.user}
    identity_file: {key or server.client_key}
"""
    )
    return path


def sshmon(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    env["HOME"] = str(Path(args[-1]).parent) if args and args[-1].endswith(".yaml") else env["HOME"]
    result = subprocess.run(
        [str(SSHMON), *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert "Traceback" not in result.stderr, result.stderr
    if check:
        assert result.returncode == 0, result.stderr
    return result


def check_json(inv: Path) -> tuple[int, dict[str, Any]]:
    result = sshmon("check", "--json", "-i", str(inv))
    return result.returncode, json.loads(result.stdout.splitlines()[0])


def test_unknown_key_then_trust_then_ok(tmp_path: Path, sshd_factory: Any) -> None:
    server = sshd_factory()
    inv = inventory(tmp_path, server)

    code, row = check_json(inv)
    assert (code, row["state"]) == (1, "host_key_unknown")
    assert "sshmon trust" in row["reason"]

    trusted = sshmon("trust", "target", "--yes", "-i", str(inv), check=True)
    assert "SHA256:" in trusted.stdout
    assert (tmp_path / "data" / "known_hosts").read_text().startswith(f"[127.0.0.1]:{server.port} ")

    code, row = check_json(inv)
    assert (code, row["state"], row["reason"]) == (0, "ok", "")
    assert row["kernel"] == os.uname().release  # the sshd runs on this very machine
    assert row["connect_ms"] > 0

    table = sshmon("check", "-i", str(inv), check=True).stdout
    assert "target" in table and "ok" in table

    # the key changes (host reinstalled, or someone in the middle): refused and reported
    server.restart(new_host_key=True)
    code, row = check_json(inv)
    assert (code, row["state"]) == (1, "host_key_changed")
    refused = sshmon("trust", "target", "--yes", "-i", str(inv))
    assert refused.returncode == 1 and "NOT the key recorded" in refused.stderr
    sshmon("trust", "target", "--yes", "--replace", "-i", str(inv), check=True)
    assert check_json(inv)[1]["state"] == "ok"


def test_probe_prints_readings_and_points_and_a_replayable_capture(
    tmp_path: Path, sshd: Sshd
) -> None:
    inv = inventory(tmp_path, sshd)
    sshmon("trust", "target", "--yes", "-i", str(inv), check=True)

    probed = json.loads(
        sshmon("probe", "target", "--json", "--interval", "0.5", "-i", str(inv), check=True).stdout
    )
    metrics = {p["metric"] for p in probed["points"]}
    assert {"cpu_busy_percent", "mem_used_percent", "load1", "fs_used_percent"} <= metrics
    assert any(
        p["metric"] == "net_rx_bytes_per_second" and p["dev"] == "lo" for p in probed["points"]
    )
    names = {r["name"] for r in probed["readings"]}
    assert "node_memory_MemTotal_bytes" in names

    table = sshmon("probe", "target", "--interval", "0.2", "-i", str(inv), check=True).stdout
    assert "derived points" in table and "cpu_busy_percent" in table

    capture = tmp_path / "capture.txt"
    raw = subprocess.run(
        [str(SSHMON), "probe", "target", "--raw", "-i", str(inv)], capture_output=True, timeout=60
    )
    assert raw.returncode == 0, raw.stderr
    capture.write_bytes(raw.stdout)
    assert raw.stdout.count(b"@@sshmon ") >= 10

    replayed = sshmon("replay", str(capture), check=True).stdout
    assert 'node_network_receive_bytes_total{device="lo"}' in replayed
    assert "node_filesystem_avail_bytes{" in replayed  # df came along: the first poll is full
    as_json = json.loads(sshmon("replay", str(capture), "--format", "json", check=True).stdout)
    assert any(s["name"] == "node_load1" for s in as_json)


def test_wrong_key_is_auth_failed(tmp_path: Path, sshd: Sshd) -> None:
    inv = inventory(tmp_path, sshd, key=sshd.wrong_key)
    sshmon("trust", "target", "--yes", "-i", str(inv), check=True)  # the host key is fine
    code, row = check_json(inv)
    assert (code, row["state"]) == (1, "auth_failed")


def test_unknown_host_name_is_a_one_line_error(tmp_path: Path, sshd: Sshd) -> None:
    inv = inventory(tmp_path, sshd)
    result = sshmon("probe", "nope", "-i", str(inv))
    assert result.returncode == 2
    assert "no host named 'nope'" in result.stderr


def test_bad_inventory_names_file_and_line(tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yaml"
    inv.write_text("hosts:\n  a:\n    prot: 22\n")
    result = sshmon("check", "-i", str(inv))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"{inv}:3: hosts.a.prot: unknown key "
        "(check the spelling; see inventory.example.yaml for every key)"
    )


def _check_states(inv: Path) -> dict[str, dict[str, Any]]:
    result = sshmon("check", "--json", "-i", str(inv))
    return {row["host"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_a_key_trusted_for_one_entry_never_vouches_for_another(
    tmp_path: Path, sshd_factory: Any
) -> None:
    """Issue 14.1: two entries reach one sshd under two names; the sshd gets a new key.
    Trusting the new key for `other` must not make `db` accept it (OpenSSH says REMOTE
    HOST IDENTIFICATION HAS CHANGED here): whoever redirects `db` would get its password."""
    server: Sshd = sshd_factory()
    inv = tmp_path / "inventory.yaml"
    inv.write_text(
        f"poller:\n  data_dir: {tmp_path / 'data'}\nhosts:\n"
        + "".join(
            f"  {name}:\n    address: {address}\n    port: {server.port}\n"
            f"    user: {server.user}\n    identity_file: {server.client_key}\n"
            for name, address in (("db", "localhost"), ("other", "127.0.0.1"))
        )
    )
    known = tmp_path / "data" / "known_hosts"
    sshmon("trust", "db", "--yes", "-i", str(inv), check=True)
    assert _check_states(inv)["db"]["state"] == "ok"

    server.restart(new_host_key=True)
    assert _check_states(inv)["db"]["state"] == "host_key_changed"
    recorded = known.read_text()

    # the address already holds db's (old) key: trusting another key there is a change
    refused = sshmon("trust", "other", "--yes", "-i", str(inv))
    assert refused.returncode == 1, refused.stdout
    assert "NOT the key recorded" in refused.stderr
    assert f"[localhost]:{server.port} (reached at [127.0.0.1]:{server.port})" in refused.stderr
    assert f"sshmon trust other --replace -i {inv}" in refused.stderr
    assert known.read_text() == recorded
    states = _check_states(inv)
    assert (states["db"]["state"], states["other"]["state"]) == ("host_key_changed",) * 2

    # the operator replaces it for `other` only: `db` still refuses the new key
    sshmon("trust", "other", "--yes", "--replace", "-i", str(inv), check=True)
    again = sshmon("trust", "other", "--yes", "-i", str(inv), check=True)
    assert "already trusted" in again.stdout  # db's note no longer speaks for `other`
    states = _check_states(inv)
    assert states["other"]["state"] == "ok", states["other"]["reason"]
    assert states["db"]["state"] == "host_key_changed", states["db"]["reason"]
    assert f"[localhost]:{server.port}" in states["db"]["reason"]

    # db's own re-trust is what makes db accept the key
    sshmon("trust", "db", "--yes", "--replace", "-i", str(inv), check=True)
    assert {r["state"] for r in _check_states(inv).values()} == {"ok"}


def test_a_jump_host_given_as_user_at_host_port_is_trusted_by_the_command_check_gives(
    tmp_path: Path, sshd: Sshd, sshd_factory: Any
) -> None:
    """Issue 14.2: check refused the unknown hop and said to run `sshmon trust`, which then
    answered "no host named 'user@127.0.0.1:P'"."""
    jump: Sshd = sshd_factory()
    spec = f"{jump.user}@127.0.0.1:{jump.port}"
    inv = inventory(tmp_path, sshd)
    inv.write_text(inv.read_text() + f"    jump: {spec}\n")
    # the hop has no inventory entry: its client key comes from ~/.ssh/config, as in OpenSSH
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "config").write_text(f"Host 127.0.0.1\n  IdentityFile {jump.client_key}\n")

    code, row = check_json(inv)
    assert (code, row["state"]) == (1, "host_key_unknown")
    assert row["reason"].startswith(f"host key of {spec} ([127.0.0.1]:{jump.port})")
    command = row["reason"].split("`")[1]
    assert command == f"sshmon trust {spec}"

    trusted = sshmon(*command.split()[1:], "--yes", "-i", str(inv), check=True)
    assert f"{spec} presents a ssh-ed25519 key" in trusted.stdout
    known = (tmp_path / "data" / "known_hosts").read_text()
    assert known.startswith(f"[127.0.0.1]:{jump.port} ssh-ed25519 ")  # by its host:port

    code, row = check_json(inv)  # now the target behind it is the unknown one
    assert (code, row["state"]) == (1, "host_key_unknown")
    assert row["reason"].startswith("host key of target ")
    assert "`sshmon trust target`" in row["reason"]
    sshmon("trust", "target", "--yes", "-i", str(inv), check=True)
    code, row = check_json(inv)
    assert (code, row["state"]) == (0, "ok"), row["reason"]


def test_trust_of_an_unknown_plain_name_is_still_a_one_line_error(
    tmp_path: Path, sshd: Sshd
) -> None:
    result = sshmon("trust", "nope", "--yes", "-i", str(inventory(tmp_path, sshd)))
    assert result.returncode == 2
    assert "no host named 'nope'" in result.stderr
    assert "a jump host outside the inventory is trusted as [user@]host:port" in result.stderr
