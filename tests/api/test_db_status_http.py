"""`GET /api/v1/db/status`, and `sshmon db status` asking a running `sshmon run` through it
while that process holds the embedded store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fleetdata import Fleet
from test_run_e2e import free_port

from api.app import create_app
from api.context import AppContext, QueryPool, WebSettings

SSHMON = Path(sys.executable).with_name("sshmon")
DEADLINE_S = 120.0  # bounds a wait for a condition; nothing relies on how long it takes


async def _get(ctx: AppContext, path: str) -> httpx.Response:
    app = create_app(ctx)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client,
    ):
        return await client.get(path)


async def test_status_lists_tables_with_rows(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> None:
    ctx = AppContext(
        WebSettings(), pool, fleet.inventory, data_dir=tmp_path, database=fleet.settings
    )
    r = await _get(ctx, "/api/v1/db/status")
    assert r.status_code == 200
    body = r.json()
    points = next(t for t in body["tables"] if t["name"] == "points")
    assert points["rows"] > 0 and points["oldest"] < points["newest"]
    assert body["embedded"] is True and body["total_bytes"] > 0


async def test_status_without_a_store_is_404(fleet: Fleet, pool: QueryPool, tmp_path: Path) -> None:
    ctx = AppContext(WebSettings(), pool, fleet.inventory, data_dir=tmp_path)
    assert (await _get(ctx, "/api/v1/db/status")).status_code == 404


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_db_status_asks_the_running_process(tmp_path: Path) -> None:
    port = free_port()
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"poller: {{data_dir: {tmp_path / 'data'}}}\n"
        f"web: {{port: {port}}}\n"
        "hosts:\n  here: {transport: local, interval: 1s}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        run = subprocess.Popen(
            [str(SSHMON), "run", "-i", str(inventory)], stdout=log, stderr=log, env=env
        )
    try:
        deadline = time.monotonic() + DEADLINE_S
        # once it answers, `run` holds the store: db status can only read it through it
        while not _ready(port):
            assert run.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        status = subprocess.run(
            [str(SSHMON), "db", "status", "-i", str(inventory)],
            capture_output=True,
            text=True,
            env=env,
            timeout=DEADLINE_S,
            check=False,
        )
        assert status.returncode == 0, status.stderr
        assert "embedded chDB" in status.stdout and "points" in status.stdout
        assert "Traceback" not in status.stderr
    finally:
        run.terminate()
        run.wait(DEADLINE_S)
