"""The browser tests' handles on the running server and on a recorded page."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from api.app import create_app
from api.context import AppContext
from parsers import cmd_ps
from sshmon.server import serve
from store.settings import RetentionSettings, StoreSettings

FOREVER = 36_500  # days: the store's TTLs run on the real clock, the data sits at NOW


def kept_forever(chdb_dir: Path, spool_dir: Path, prefix: str) -> StoreSettings:
    """A fresh database in the shared chDB directory, fast flushes and TTLs that never drop
    the recorded data, whatever the machine's date."""
    return StoreSettings(
        url=f"chdb://{chdb_dir}",
        database=f"{prefix}_{uuid.uuid4().hex[:10]}",
        spool_dir=spool_dir,
        flush_interval_s=0.05,
        retention=RetentionSettings(
            raw_days=FOREVER,
            rollup_5m_days=FOREVER,
            rollup_1h_days=FOREVER,
            poll_status_days=FOREVER,
            host_info_days=FOREVER,
        ),
    )


@dataclass
class LiveServer:
    ctx: AppContext
    url: str
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event
    thread: threading.Thread

    def publish(self, *args: Any) -> None:
        """Hub.publish on the server's loop, as the poller's sink would call it."""
        self.loop.call_soon_threadsafe(self.ctx.hub.publish, *args)

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.thread.join(15)


async def local_ps(host: str) -> str:
    """The fixed `ps` run on this machine, as the composition runs it over SSH (size-capped)."""
    proc = await asyncio.create_subprocess_exec(
        "sh", "-c", cmd_ps.COMMAND, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    out = b""
    while len(out) < 256 * 1024:  # read() returns what is there; loop to EOF or the cap
        chunk = await proc.stdout.read(256 * 1024 - len(out))
        if not chunk:
            break
        out += chunk
    await proc.wait()
    return out.decode(errors="replace")


@dataclass
class Page:
    page: Any
    errors: list[str] = field(default_factory=list)

    def csp(self) -> list[str]:
        return list(self.page.evaluate("window.__csp || []"))

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.csp() == [], self.csp()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(ctx: AppContext) -> LiveServer:
    """The app under uvicorn (sshmon.server.serve) on its own loop and thread, listening."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, asyncio.Event] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        holder["stop"] = asyncio.Event()
        ready.set()
        loop.run_until_complete(serve(create_app(ctx), ctx.settings, holder["stop"]))
        loop.close()

    thread = threading.Thread(target=run, name="live-server", daemon=True)
    thread.start()
    ready.wait(10)
    live = LiveServer(ctx, f"http://127.0.0.1:{ctx.settings.port}", loop, holder["stop"], thread)
    _wait_listening(ctx.settings.port)
    return live


def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + 60  # a hang guard: uvicorn starts when the machine lets it
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")
