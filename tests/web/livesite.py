"""The browser tests' handles on the running server and on a recorded page."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from api.context import AppContext
from parsers import cmd_ps


@dataclass
class LiveServer:
    ctx: AppContext
    url: str
    loop: asyncio.AbstractEventLoop
    stop: asyncio.Event

    def publish(self, *args: Any) -> None:
        """Hub.publish on the server's loop, as the poller's sink would call it."""
        self.loop.call_soon_threadsafe(self.ctx.hub.publish, *args)


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
