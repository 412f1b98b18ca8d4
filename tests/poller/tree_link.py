"""A Link that runs the real probe script through a fresh `dash` per poll, with some of
the target's paths pointed into a fixture tree on the way in and their headers put back on
the way out: the rest of the probe reads this machine. For collectors this machine has no
source for (hwmon, thermal zones) or whose files a test must change between polls
(/sys/class/net), exercised through a real HostPoller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path

from poller import probe
from poller.inventory import Host
from poller.transport import RawPoll


class TreeLink:
    mode = "local"
    connected = True

    def __init__(self, host: Host, root: Path, moved: Iterable[str]) -> None:
        self.plan = probe.plan_for(host)
        self.root = root
        self.moved = tuple(moved)

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        script = probe.script(nonce, slow=slow, plan=self.plan, rare=rare)
        for path in self.moved:
            script = script.replace(path, f"{self.root}{path}")
        shell = await asyncio.create_subprocess_exec(
            "dash",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await shell.communicate(script.encode())
        for path in self.moved:
            out = out.replace(f"==> {self.root}{path}".encode(), f"==> {path}".encode())
        return RawPoll(out, "local", False)

    async def close(self) -> None:
        pass
