"""What an instance with auth on gives away: the API map, cacheable pages, and files other
users of the machine can read."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from liveserver import free_port

from api import tokens
from api.app import create_app
from api.context import AppContext
from sshmon import datadir

SSHMON = Path(sys.executable).with_name("sshmon")


@pytest.fixture
async def client(auth_ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(auth_ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c


def _token(ctx: AppContext, role: tokens.Role = tokens.Role.viewer) -> dict[str, str]:
    engine = tokens.open_db(f"sqlite:///{ctx.data_dir / 'auth.db'}")
    _, token = tokens.create(engine, "t", role, time.time())
    return {"Authorization": f"Bearer {token}"}


async def test_openapi_document_needs_a_login_like_docs(
    client: httpx.AsyncClient, auth_ctx: AppContext
) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 401 and r.json() == {"detail": "authentication required"}
    assert (await client.get("/docs")).status_code == 303  # to the sign-in form
    r = await client.get("/openapi.json", headers=_token(auth_ctx))
    assert r.status_code == 200 and "/api/v1/hosts" in r.json()["paths"]


async def test_signed_in_answers_are_not_stored_by_caches(
    client: httpx.AsyncClient, auth_ctx: AppContext
) -> None:
    auth = _token(auth_ctx)
    for path in ("/api/v1/hosts", "/api/v1/hosts/web-1", "/openapi.json", "/metrics"):
        r = await client.get(path, headers=auth)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path
    # public static files stay cacheable: they hold nobody's data
    r = await client.get("/static/js/docs.js")
    assert r.status_code == 200 and "no-store" not in r.headers.get("cache-control", "")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_prepare_tightens_an_old_open_directory(tmp_path: Path) -> None:
    old = tmp_path / "data"
    old.mkdir(mode=0o755)
    umask = os.umask(0o022)
    try:
        datadir.prepare(old)
        (old / "x").write_text("")
        assert _mode(old) == 0o700 and _mode(old / "x") == 0o600
    finally:
        os.umask(umask)


def test_sshmon_run_keeps_its_data_private(tmp_path: Path) -> None:
    """A real `sshmon run` under a permissive umask: every directory it makes is 0700 and
    every file (auth.db, alerts.db, session.key, the store, the spool) 0600."""
    data = tmp_path / "data"
    inventory = tmp_path / "inventory.yaml"
    port = free_port()
    inventory.write_text(
        f"poller:\n  data_dir: {data}\n"
        "web:\n  auth:\n    enabled: true\n"
        # a host nobody answers for: the process still opens every store it has
        "hosts:\n  nowhere:\n    address: 127.0.0.1\n    port: 1\n"
    )
    token = subprocess.run(
        [str(SSHMON), "token", "create", "-i", str(inventory)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        [str(SSHMON), "run", "-i", str(inventory), "--listen", f"127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        preexec_fn=lambda: os.umask(0o022),  # what most shells give a service
    )
    try:
        _wait_ready(port, token, proc)
        # SIGTERM flushes: the spool and store are complete on disk afterwards
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        output = log.read()
        log.close()
    names = {p.name for p in data.iterdir()}
    assert {"auth.db", "alerts.db", "session.key", "db"} <= names, (names, output)
    assert _mode(data) == 0o700
    loose = [str(p) for p in data.rglob("*") if not p.is_symlink() and _mode(p) & 0o077]
    assert loose == [], loose


def _wait_ready(port: int, token: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/hosts", headers={"Authorization": f"Bearer {token}"}
    )
    while True:
        assert proc.poll() is None, "sshmon run exited"
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        assert time.monotonic() < deadline, "sshmon run did not answer"
        time.sleep(0.2)  # the process is starting: ask again
