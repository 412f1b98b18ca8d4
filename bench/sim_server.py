"""A lightweight SSH target for the poller benchmark: one asyncssh server process that
answers every probe with a recorded real capture, so thousands of "hosts" cost the
machine little and the poller's own cost is what gets measured.

    python bench/sim_server.py FAST_TEMPLATE SLOW_TEMPLATE HOST_KEY   (prints its port)

Templates are probe output (fast sections only / with the slow ones) with the poll nonce
replaced by `{nonce}` and the /proc/uptime line by `{uptime}` (filled in per answer, so
the poller derives rates over real elapsed time, as with a real target).
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from pathlib import Path

import asyncssh

NONCE = re.compile(rb"_sm_fast ([0-9a-f]+)")


class _Server(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return False  # no authentication: a benchmark target on loopback only


async def _serve(fast: bytes, slow: bytes, process: asyncssh.SSHServerProcess[bytes]) -> None:
    try:
        while line := await process.stdin.readline():
            found = NONCE.search(line)
            if found:
                template = slow if b"_sm_slow" in line else fast
                uptime = b"%.2f %.2f" % (time.monotonic(), time.monotonic())
                answer = template.replace(b"{nonce}", found.group(1))
                process.stdout.write(answer.replace(b"{uptime}", uptime))
    except (asyncssh.Error, ConnectionError):
        pass  # the poller went away
    process.exit(0)


async def main(fast_path: Path, slow_path: Path, key_path: Path) -> None:
    fast, slow = fast_path.read_bytes(), slow_path.read_bytes()
    server = await asyncssh.create_server(
        _Server,
        "127.0.0.1",
        0,
        server_host_keys=[str(key_path)],
        process_factory=lambda p: _serve(fast, slow, p),
        encoding=None,
        # the poller's preference; keeps the server's share of CPU comparable to sshd's
        encryption_algs=["aes128-gcm@openssh.com"],
        compression_algs=["none"],
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
