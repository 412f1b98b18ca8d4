"""One poller worker of `sshmon run --workers N`: `python -m sshmon.worker --fd FD --shard K/N`.

Started by the owner (sshmon/workers.py) as a fresh interpreter, so it holds none of the
owner's state (store, alert engine, web app): only the poller. It polls the hosts the owner
sends it (a HOSTS frame at start and after every reload) with the same scheduler and SSH
wiring as the single-process `sshmon run`, and streams each poll back as a POLL frame
(poller/wire.py) over the socket inherited as FD. It also runs the web's "top processes"
command on a host's kept session when asked (TOP).

It ends when the owner says STOP (the drain of a SIGTERM to `sshmon run`), when the socket
closes (the owner is gone: no orphan keeps polling), or on its own SIGTERM (systemd signals
the whole unit). SIGINT and SIGHUP are the owner's business: a Ctrl-C in a terminal reaches
the whole process group, and the owner then drains its workers in order.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from parsers.exposition_render import Meta, pack, printed
from parsers.exposition_text import LineFormatter
from poller import shard as sharding
from poller import wire
from poller.errors import PollError
from poller.exposition import samples
from poller.gcpolicy import manage_gc
from poller.inventory import Host
from poller.poll import PollOutcome
from poller.printable import PrintableFormatter
from poller.scheduler import Scheduler, SystemClock, ssh_scheduler
from poller.ssh import Connector, SshSettings
from poller.transport import LocalLink, SshLink

log = logging.getLogger("sshmon.worker")

# Bytes of POLL frames the owner may fall behind by before polls are dropped (and counted):
# ~1,000 polls of a big host. The owner reads as they come; this only bounds a stalled one.
OUT_BUFFER_CAP = 32 * 1024 * 1024
# Polls are sent in batches, at most this long after they were made: a write per poll woke
# the owner once per poll, and those wake-ups (on a 2-vCPU VM) cost more than the polls'
# encoding (py-spy: a fifth of a worker's CPU at 1,000 hosts; bench/workers_cpu.py).
FLUSH_S = 0.1
FLUSH_BYTES = 256 * 1024  # or as soon as this much is waiting
TOP_OUTPUT_CAP = 1024 * 1024  # as sshmon/run.py
TOP_TIMEOUT_S = 10.0


def hosts_message(
    hosts: list[Host], peers: list[Host], known_hosts: Path, max_unauthenticated: int
) -> bytes:
    """The HOSTS frame (owner side): this worker's share, the hosts its `jump:`s name, and
    the SSH settings. JSON: it is sent at start and on reloads only."""
    body = {
        "hosts": [h.model_dump(mode="json") for h in hosts],
        "peers": [h.model_dump(mode="json") for h in peers],
        "known_hosts": str(known_hosts),
        "max_unauthenticated": max_unauthenticated,
    }
    return wire.frame(wire.HOSTS, json.dumps(body).encode())


class Worker:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._encoder = wire.PollEncoder()
        self._out: list[bytes] = []
        self._out_bytes = 0
        self._flush_timer: asyncio.TimerHandle | None = None
        self._dropped = 0
        self._clock = SystemClock()
        self._links: dict[str, SshLink | LocalLink] = {}
        self._scheduler: Scheduler | None = None
        self._connector: Connector | None = None
        self._gc: asyncio.Task[None] | None = None
        self._tops: set[asyncio.Task[None]] = set()
        # host -> (time, readings, seq) of its newest good poll, for /metrics (as the hub
        # keeps them in one process), and what of it the owner was sent: (seq, request)
        self._readings: dict[str, tuple[float, Mapping[str, object], int]] = {}
        self._sent: dict[str, tuple[int, int]] = {}
        self._seq = 0
        self._export_lock = asyncio.Lock()

    def sink(self, outcome: PollOutcome) -> None:
        """Called once per poll on the loop: encode now, write within FLUSH_S."""
        if outcome.readings:
            self._seq += 1
            self._readings[outcome.status.host] = (
                outcome.status.ts,
                outcome.readings,
                self._seq,
            )
        if self._writer.transport.get_write_buffer_size() > OUT_BUFFER_CAP:
            self._dropped += 1
            if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                log.warning("owner is not reading: %d polls dropped so far", self._dropped)
            return
        encoded = self._encoder.encode(outcome)
        self._out.append(encoded)
        self._out_bytes += len(encoded)
        if self._out_bytes >= FLUSH_BYTES:
            self._flush()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(FLUSH_S, self._flush)

    def _flush(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._out and not self._writer.is_closing():
            self._writer.writelines(self._out)
        self._out.clear()
        self._out_bytes = 0

    async def apply(self, payload: bytes) -> None:
        body = json.loads(payload)
        hosts = [Host.model_validate(h) for h in body["hosts"]]
        peers = [Host.model_validate(h) for h in body["peers"]]
        if self._scheduler is None:
            settings = SshSettings(
                known_hosts=Path(body["known_hosts"]),
                peers={h.name: h for h in peers},
                max_unauthenticated=int(body["max_unauthenticated"]),
            )
            self._connector = Connector(settings)
            self._scheduler = ssh_scheduler(self.sink, self._connector, self._clock, self._links)
            settle = max((h.interval for h in hosts), default=10.0) + max(
                (h.connect_timeout for h in hosts), default=10.0
            )
            self._gc = asyncio.create_task(manage_gc(self._clock, settle_s=settle))
        else:
            assert self._connector is not None
            self._connector.update_peers(peers)
            # the owner's worker count changed: this worker's share of the per-target budget
            self._connector.update_budget(int(body["max_unauthenticated"]))
        await self._scheduler.replace_hosts(hosts)
        names = {h.name for h in hosts}
        for name in set(self._links) - names:
            del self._links[name]
        for name in set(self._readings) - names:
            del self._readings[name]
            self._sent.pop(name, None)
        log.debug("polling %d hosts", len(hosts))

    def top(self, payload: bytes) -> None:
        request, host = wire.read_top_request(payload)
        task = asyncio.create_task(self._top(request, host))
        self._tops.add(task)
        task.add_done_callback(self._tops.discard)

    async def _top(self, request: int, host: str) -> None:
        from parsers import cmd_ps

        link = self._links.get(host)
        try:
            if link is None:
                raise PollError(f"{host} is not polled by this worker")
            output = await link.run_command(
                cmd_ps.COMMAND, cap=TOP_OUTPUT_CAP, timeout=TOP_TIMEOUT_S
            )
            reply = wire.top_reply(request, True, output)
        except PollError as exc:
            reply = wire.top_reply(request, False, exc.reason.encode())
        if not self._writer.is_closing():
            self._writer.write(reply)

    def export(self, payload: bytes) -> None:
        task = asyncio.create_task(self._export(*wire.read_export_request(payload)))
        self._tops.add(task)
        task.add_done_callback(self._tops.discard)

    async def _export(self, request: int, have: int) -> None:
        """Every host's newest good poll time, and its node_exporter families printed for
        /metrics unless the owner already holds that poll's (it applied a reply up to
        `have`). Printed here, in a thread: the work spreads over the workers and the
        owner only merges the text."""
        async with self._export_lock:
            todo = []
            for host, (_, readings, seq) in self._readings.items():
                sent = self._sent.get(host)
                if sent is None or sent[0] != seq or sent[1] > have:
                    todo.append((host, readings, seq))
            parts = await asyncio.to_thread(_export_parts, [(h, r) for h, r, _ in todo])
            for host, _, seq in todo:
                self._sent[host] = (seq, request)
            body = {
                "times": {h: ts for h, (ts, _, _) in self._readings.items()},
                "printed": parts,
                "dropped": self._dropped,
            }
            if not self._writer.is_closing():
                self._writer.write(wire.export_reply(request, json.dumps(body).encode()))

    async def stop(self) -> None:
        for task in list(self._tops):
            task.cancel()
        if self._scheduler is not None:
            await self._scheduler.stop()
        if self._gc is not None:
            self._gc.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._gc
        self._flush()
        if not self._writer.is_closing():
            with contextlib.suppress(OSError):
                await self._writer.drain()
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()


async def serve(sock: socket.socket) -> None:
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    worker = Worker(writer)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    stopper = asyncio.create_task(stop.wait())
    try:
        while True:
            read = asyncio.create_task(_read_frame(reader))
            await asyncio.wait({read, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if not read.done():
                read.cancel()
                break
            got = read.result()
            if got is None:
                break  # the owner closed the socket: it is gone or done with us
            kind, payload = got
            if kind == wire.HOSTS:
                await worker.apply(payload)
            elif kind == wire.TOP:
                worker.top(payload)
            elif kind == wire.EXPORT:
                worker.export(payload)
            elif kind == wire.STOP:
                break
            else:
                raise wire.WireError(f"frame type {kind} is not for a worker")
    finally:
        stopper.cancel()
        await worker.stop()


def _export_parts(hosts: list[tuple[str, Mapping[str, object]]]) -> dict[str, object]:
    """The EXPORT_REPLY's `printed`: each host's families printed and packed here
    (parsers/exposition_render.Packed, a few KB a host), the family layouts once:
    `{"layouts": [[meta, ...], ...], "hosts": {host: [layout, zlib text, line ends]}}`,
    the bytes in base64. The owner keeps them as they come (sshmon/workers.py).

    Sending every host's lines as JSON strings held them all at once, then the JSON text,
    its bytes and the frame: ~5x the text at each scrape, in this process and again in the
    owner, which kept most of it after (issue 15)."""
    formatter = LineFormatter()
    layouts: dict[tuple[Meta, ...], int] = {}
    out: dict[str, list[object]] = {}
    for host, readings in hosts:
        part = pack(printed(samples(readings), (("instance", host),), formatter))
        layout = layouts.setdefault(part.metas, len(layouts))
        out[host] = [layout, _b64(part.text), _b64(part.ends.tobytes())]
    return {"layouts": [list(metas) for metas in layouts], "hosts": out}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes] | None:
    try:
        head = await reader.readexactly(wire.HEADER.size)
    except asyncio.IncompleteReadError:
        return None
    size, kind = wire.HEADER.unpack(head)
    if size > wire.MAX_FRAME or kind not in wire.TYPES:
        raise wire.WireError(f"bad frame header: type {kind}, {size} bytes")
    return kind, await reader.readexactly(size)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sshmon.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--shard", required=True)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    shard = sharding.parse(args.shard)
    handler = logging.StreamHandler()
    handler.setFormatter(
        PrintableFormatter(
            f"%(asctime)s %(levelname)s %(name)s [worker {shard.k}/{shard.n}]: %(message)s"
        )
    )
    level = getattr(logging, str(args.log_level).upper(), logging.INFO)
    logging.basicConfig(level=level, handlers=[handler])
    logging.getLogger("asyncssh").setLevel(max(level, logging.WARNING))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sock = socket.socket(fileno=args.fd)
    try:
        asyncio.run(serve(sock))
    except wire.WireError as exc:
        log.error("protocol error from the owner: %s", exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
