"""deploy/systemd/sshmon.service: the hardening the issue asks for is there, and systemd
itself accepts the unit (`systemd-analyze verify`, when systemd is installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "systemd" / "sshmon.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("User", "sshmon"),
        ("StateDirectory", "sshmon"),
        ("Environment", "SSHMON_DATA_DIR=%S/sshmon"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"),
        ("SystemCallFilter", "@system-service"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
    ],
)
def test_hardening_directive(key: str, value: str) -> None:
    assert value in directives().get(key, []), f"{key}={value} missing from {UNIT.name}"


def test_runs_sshmon_run_on_the_etc_inventory() -> None:
    (start,) = directives()["ExecStart"]
    assert start.split()[1:] == ["run", "--inventory", "/etc/sshmon/inventory.yaml"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # verify also checks that ExecStart exists: point it at this interpreter's sshmon
    sshmon = Path(sys.executable).with_name("sshmon")
    unit = tmp_path / "sshmon.service"
    unit.write_text(UNIT.read_text().replace("/opt/sshmon/bin/sshmon", str(sshmon)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
