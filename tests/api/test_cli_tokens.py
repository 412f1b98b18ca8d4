"""Auth as an operator meets it: refusing a public bind without auth, tokens from the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from test_run_e2e import free_port

SSHMON = Path(sys.executable).with_name("sshmon")


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}


def inventory(tmp_path: Path, auth: bool) -> Path:
    path = tmp_path / "inventory.yaml"
    web = "web:\n  auth:\n    enabled: true\n" if auth else ""
    path.write_text(
        f"poller:\n  data_dir: {tmp_path / 'data'}\n{web}"
        "hosts:\n  here:\n    transport: local\n    interval: 1s\n"
    )
    return path


def status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError:
        return 0  # not listening yet


def test_public_bind_without_auth_is_refused(tmp_path: Path) -> None:
    inv = inventory(tmp_path, auth=False)
    result = subprocess.run(
        [str(SSHMON), "run", "-i", str(inv), "--listen", f"0.0.0.0:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env(),
    )
    assert result.returncode == 2, result.stderr
    assert "auth" in result.stderr and "Traceback" not in result.stderr


def token(inv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SSHMON), "token", *args, "-i", str(inv)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env(),
        check=True,
    )


def test_token_from_the_cli_opens_the_api_until_revoked(tmp_path: Path) -> None:
    inv = inventory(tmp_path, auth=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/hosts"
    proc = subprocess.Popen(
        [str(SSHMON), "run", "-i", str(inv), "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env(),
    )
    try:
        deadline = time.monotonic() + 60
        while status(url) not in (401, 403):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.3)
        secret = token(inv, "create", "--role", "viewer", "--name", "test").stdout.strip()
        assert status(url, secret) == 200
        assert status(url, secret + "x") in (401, 403)
        token_id = token(inv, "list").stdout.split()[0]
        token(inv, "revoke", token_id)
        assert status(url, secret) in (401, 403)
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 0


def test_a_corrupt_token_database_is_one_line_naming_the_file(tmp_path: Path) -> None:
    inv = inventory(tmp_path, auth=True)
    db = tmp_path / "data" / "auth.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(os.urandom(64) + b"\0" * 4032)  # 64 random bytes where the header was
    done = subprocess.run([str(SSHMON), "token", "list", "-i", str(inv)], capture_output=True,
                          text=True, timeout=60, env=env(), check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"token database {db}: file is not a database" in done.stderr
