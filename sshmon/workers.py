"""`sshmon run --workers N`, owner side: N poller processes, one slot each, supervised.

Each slot k polls the hosts that rendezvous hashing (poller/shard.py, salted so that a
`poll --shard K/M` process splits its own share evenly again) gives to k of N. A worker is
a fresh interpreter (`python -m sshmon.worker`, sshmon/worker.py) connected by a socketpair:
it inherits neither the owner's memory nor its chDB threads. Its POLL frames are decoded
here (poller/wire.py) and handed to the same sink the single-process run uses, so the
writer, alert engine, live view and health counters cannot tell the two apart.

A worker that exits or breaks the protocol is restarted after a backoff (1 s doubling to
30 s, back to 1 s once a worker has lived a minute) and given its hosts again; the other
slots, the store and the web app never notice. Restarts are logged and counted
(`sshmon_worker_restarts_total`). A reload sends every slot its new share: each worker's
scheduler keeps the sessions of hosts that did not change; a reload that changes the number
of workers drains the slots that go, or starts the new ones, and moves only the hosts the
hash gives to another slot. `stop` drains: STOP to all,
their last polls arrive, and a worker still running at the deadline is killed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
import os
import signal
import socket
import sys
import time
import zlib
from array import array
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from parsers.exposition_render import Meta, Packed
from poller import shard as sharding
from poller import wire
from poller.errors import ProbeFailed
from poller.inventory import Host
from poller.poll import PollOutcome
from poller.scheduler import STOP_DEADLINE_S
from sshmon.worker import hosts_message

log = logging.getLogger("sshmon.workers")

SALT: Final = "worker\0"  # not the `--shard` hash: see the module docstring
BACKOFF_FIRST_S: Final = 1.0
BACKOFF_CAP_S: Final = 30.0
HEALTHY_AFTER_S: Final = 60.0  # a worker that lived this long starts the backoff over
# a worker's own stop waits STOP_DEADLINE_S for its host tasks, then sends its last polls
DRAIN_DEADLINE_S: Final = STOP_DEADLINE_S + 5.0
TOP_DEADLINE_S: Final = 15.0  # the worker's own command timeout is 10 s
EXPORT_DEADLINE_S: Final = 10.0  # a worker prints its hosts' /metrics families in this
LAYOUTS: Final = 1024  # distinct family layouts kept for sharing (as MetricsRenderer's)
# a host's printed families unpacked: ~30 KB for a real host; a worker's reply past this
# is a bug, refused rather than unpacked without end
MAX_HOST_TEXT: Final = 16 * 1024 * 1024
AUTO_CAP: Final = 8
# Polls a second one process takes before a second process pays (bench/README.md, "How
# many workers by default"): the whole `sshmon run` at 1,000 hosts x 10 s (100 polls/s)
# cost 1.64 ms a poll in one process against 1.98 with two workers, at 3,000 x 10 s 1.43
# against 1.39; the hop, a second event loop and each worker's thinner batches of polls
# per wake-up cost more than the second core gives back below about 300 polls/s. With
# polls in slots (poller/scheduler.py) the two cost about the same at 100 polls/s (1.17
# against 1.26 ms, "The final tree") and one process holds ~150 MiB less: it stands.
AUTO_POLLS_PER_WORKER: Final = 300.0


def polls_per_s(hosts: Iterable[Host]) -> float:
    return sum(1.0 / h.interval for h in hosts)


def auto_count(polls: float, cores: int | None = None) -> int:
    """`poller.workers` unset: one worker per usable core, at most AUTO_CAP, and no more
    than one per AUTO_POLLS_PER_WORKER polls a second (`polls`, of every host together):
    below that one process polls on less CPU and memory than two. Past 8 the one owner
    process (store, alerts, web) is the limit, not polling."""
    if cores is None:
        cores = len(os.sched_getaffinity(0))
    by_polls = math.ceil(polls / AUTO_POLLS_PER_WORKER - 1e-9)  # 3,000 x 0.1 sums to 300 + ε
    return max(1, min(cores, AUTO_CAP, by_polls))


def share(hosts: Iterable[Host], k: int, n: int) -> list[Host]:
    return [h for h in hosts if sharding.owner(h.name, n, salt=SALT) == k]


@dataclass(frozen=True)
class SshBase:
    """What every worker's Connector needs beyond its hosts."""

    known_hosts: Path
    max_unauthenticated: int  # per worker: the per-target budget divided among them


@dataclass
class _Slot:
    k: int
    hosts: list[Host] = field(default_factory=list)
    peers: list[Host] = field(default_factory=list)
    proc: asyncio.subprocess.Process | None = None
    transport: asyncio.Transport | None = None
    supervisor: asyncio.Task[None] | None = None
    restarts: int = 0
    retired: bool = False  # a reload took this slot away: not restarted when it ends
    # polls the worker dropped while this process did not read (its output buffer full):
    # as its process last said, and the sum of its earlier processes'
    dropped: int = 0
    dropped_before: int = 0


class _Reader(asyncio.Protocol):
    """Decodes one worker's frames as they arrive; POLLs go straight to the sink."""

    def __init__(self, pool: WorkerPool, slot: _Slot) -> None:
        self._pool, self._slot = pool, slot
        self._frames = wire.FrameBuffer()
        self._decoder = wire.PollDecoder()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            for kind, payload in self._frames.feed(data):
                if kind == wire.POLL:
                    self._pool.deliver(self._decoder.decode(payload))
                elif kind == wire.TOP_REPLY:
                    self._pool.top_answered(*wire.read_top_reply(payload))
                elif kind == wire.EXPORT_REPLY:
                    self._pool.export_answered(*wire.read_export_reply(payload))
                else:
                    raise wire.WireError(f"frame type {kind} is not for the owner")
        except wire.WireError as exc:
            log.error("worker %d: protocol error, dropping it: %s", self._slot.k, exc)
            if self._transport is not None:
                self._transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


class WorkerPool:
    def __init__(
        self,
        count: int,
        sink: Callable[[PollOutcome], None],
        ssh: SshBase,
        log_level: str = "info",
    ) -> None:
        self.count = count
        self.restarts = 0
        self._sink = sink
        self._ssh = ssh
        self._log_level = log_level
        self._slots = [_Slot(k) for k in range(1, count + 1)]
        self._stopping = asyncio.Event()
        self._requests: dict[int, tuple[int, asyncio.Future[tuple[bool, bytes]]]] = {}
        self._next_request = 0
        self._names: set[str] = set()
        # /metrics: per slot, host -> (newest good poll, its printed families), and the
        # last reply applied (the worker then leaves out what this already holds)
        self._exports: dict[int, tuple[int, asyncio.Future[bytes]]] = {}
        # kept packed, their family layouts shared across hosts: as decoded, each host's
        # lines and metas are ~40 KB of strings and tuples (issue 15)
        self._exported: dict[int, dict[str, tuple[float, Packed]]] = {}
        self._have: dict[int, int] = {}
        self._layouts: dict[tuple[Meta, ...], tuple[Meta, ...]] = {}
        self._reloading = asyncio.Lock()  # two SIGHUPs in a row: one resize at a time

    # -- hosts ----------------------------------------------------------------------------

    async def start(self, hosts: list[Host], everyone: Iterable[Host]) -> None:
        self._assign(hosts, everyone, self.count)
        for slot in self._slots:
            await self._spawn(slot)
            slot.supervisor = asyncio.create_task(self._supervise(slot), name=f"worker {slot.k}")

    async def apply(
        self, hosts: list[Host], everyone: Iterable[Host], count: int, ssh: SshBase
    ) -> None:
        """A reload: every live worker gets its new share now; one being restarted gets it
        when it comes back. With a new `count` (> 1) the pool grows or shrinks first."""
        async with self._reloading:
            self._ssh = ssh
            if count < self.count:
                await self._shrink(count)
            self._assign(hosts, everyone, count)
            for slot in self._slots:
                self._send(slot, self._hosts_frame(slot))
            if count > self.count:
                await self._grow(count)

    async def _shrink(self, count: int) -> None:
        """Drain the slots above `count` before anyone else takes their hosts, so that no
        host is polled by two workers at once; their last polls arrive as at a stop. The
        hash among fewer workers moves only the hosts of the slots that go."""
        gone, self._slots = self._slots[count:], self._slots[:count]
        for slot in gone:
            slot.retired = True
        await self._drain(gone, DRAIN_DEADLINE_S)
        for slot in gone:
            self._exported.pop(slot.k, None)
            self._have.pop(slot.k, None)
        log.info(
            "workers %d..%d of %d stopped: polling with %d",
            count + 1,
            self.count,
            self.count,
            count,
        )
        self.count = count

    async def _grow(self, count: int) -> None:
        """Start the new slots with their shares: the hash among more workers moves hosts
        only to the new ones, and the others dropped those hosts with the frame above."""
        old, self.count = self.count, count
        for k in range(old + 1, count + 1):
            slot = self._slots[k - 1]
            await self._spawn(slot)
            slot.supervisor = asyncio.create_task(self._supervise(slot), name=f"worker {k}")
        log.info("workers %d..%d started: polling with %d", old + 1, count, count)

    def _assign(self, hosts: list[Host], everyone: Iterable[Host], count: int) -> None:
        by_name = {h.name: h for h in everyone}
        self._names = {h.name for h in hosts}
        self._slots.extend(_Slot(k) for k in range(len(self._slots) + 1, count + 1))
        for slot in self._slots:
            slot.hosts = share(hosts, slot.k, count)
            jumps = {h.jump for h in slot.hosts if h.jump}
            slot.peers = _peers(jumps, by_name)

    def _hosts_frame(self, slot: _Slot) -> bytes:
        return hosts_message(
            slot.hosts, slot.peers, self._ssh.known_hosts, self._ssh.max_unauthenticated
        )

    # -- results --------------------------------------------------------------------------

    def deliver(self, outcome: PollOutcome) -> None:
        if outcome.status.host not in self._names:
            # a poll of a host a reload just removed, in flight when its worker got the new
            # share: delivering it would bring the host back into health, /metrics and
            # the store after `forget` (seen as a flaky reload test)
            log.debug("dropped a poll of %s: no longer in the inventory", outcome.status.host)
            return
        try:
            self._sink(outcome)
        except Exception:
            log.exception("result sink failed for %s", outcome.status.host)

    async def top(self, host: str) -> bytes:
        """The process list of `host`, run by the worker that holds its session."""
        if host not in self._names:
            raise ProbeFailed(f"{host} is not polled by this process")
        k = sharding.owner(host, self.count, salt=SALT)
        slot = self._slots[k - 1]
        if slot.transport is None or slot.transport.is_closing():
            raise ProbeFailed(f"the worker polling {host} is restarting")
        self._next_request += 1
        request = self._next_request
        answer: asyncio.Future[tuple[bool, bytes]] = asyncio.get_running_loop().create_future()
        self._requests[request] = (k, answer)
        try:
            slot.transport.write(wire.top_request(request, host))
            async with asyncio.timeout(TOP_DEADLINE_S):
                ok, output = await answer
        except TimeoutError:
            raise ProbeFailed(f"no process list from {host} in {TOP_DEADLINE_S:g} s") from None
        finally:
            self._requests.pop(request, None)
        if not ok:
            raise ProbeFailed(output.decode(errors="replace"))
        return output

    def top_answered(self, request: int, ok: bool, output: bytes) -> None:
        pending = self._requests.get(request)
        if pending is not None and not pending[1].done():
            pending[1].set_result((ok, output))

    def _fail_requests(self, k: int) -> None:
        for slot_k, answer in self._requests.values():
            if slot_k == k and not answer.done():
                answer.set_exception(ProbeFailed("the worker polling this host stopped"))
        for slot_k, reply in self._exports.values():
            if slot_k == k and not reply.done():
                reply.cancel()

    async def exposition(self) -> dict[str, tuple[float, Packed]]:
        """For /metrics: every worker's hosts with the time of their newest good poll and
        its node_exporter families, printed by the worker. A worker that does not answer
        in EXPORT_DEADLINE_S keeps what it sent last time."""
        asked = [self._ask_export(slot) for slot in self._slots]
        await asyncio.gather(*(a for a in asked if a is not None))
        out: dict[str, tuple[float, Packed]] = {}
        for slot in self._slots:
            out.update(self._exported.get(slot.k, {}))
        return out

    def _ask_export(self, slot: _Slot) -> Awaitable[None] | None:
        if slot.transport is None or slot.transport.is_closing():
            return None
        self._next_request += 1
        request = self._next_request
        reply: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._exports[request] = (slot.k, reply)
        slot.transport.write(wire.export_request(request, self._have.get(slot.k, 0)))
        return self._apply_export(slot.k, request, reply)

    async def _apply_export(self, k: int, request: int, reply: asyncio.Future[bytes]) -> None:
        try:
            async with asyncio.timeout(EXPORT_DEADLINE_S):
                body = await reply
        except (TimeoutError, asyncio.CancelledError):
            return
        finally:
            self._exports.pop(request, None)
        try:
            times, printed, dropped = _export_body(body)
        except (ValueError, TypeError, KeyError, IndexError, zlib.error) as exc:
            log.error("worker %d: a malformed /metrics reply: %s", k, exc)
            return
        for slot in self._slots:
            if slot.k == k:
                slot.dropped = max(slot.dropped, dropped)
        before = self._exported.get(k, {})
        now: dict[str, tuple[float, Packed]] = {}
        for host, ts in times.items():
            new = printed.get(host)
            part = self._shared(new) if new is not None else before.get(host, (0.0, None))[1]
            if part is not None:
                now[host] = (ts, part)
        self._exported[k] = now
        self._have[k] = max(self._have.get(k, 0), request)

    def _shared(self, part: Packed) -> Packed:
        """The part with its metas shared with an earlier reply's equal ones."""
        if len(self._layouts) >= LAYOUTS:  # hostile or very mixed targets: sharing only
            self._layouts.clear()
        metas = self._layouts.setdefault(part.metas, part.metas)
        return part if metas is part.metas else part._replace(metas=metas)

    def export_answered(self, request: int, body: bytes) -> None:
        pending = self._exports.get(request)
        if pending is not None and not pending[1].done():
            pending[1].set_result(body)

    # -- processes ------------------------------------------------------------------------

    async def _spawn(self, slot: _Slot) -> None:
        ours, theirs = socket.socketpair()
        try:
            slot.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "sshmon.worker",
                "--fd",
                str(theirs.fileno()),
                "--shard",
                f"{slot.k}/{self.count}",
                "--log-level",
                self._log_level,
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
                # its own session: a terminal's Ctrl-C reaches the owner only, which then
                # drains the workers in order
                start_new_session=True,
            )
        finally:
            theirs.close()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_unix_connection(lambda: _Reader(self, slot), sock=ours)
        slot.transport = transport
        # a new process holds nothing the old one sent, and counts its drops from 0
        slot.dropped_before, slot.dropped = slot.dropped_before + slot.dropped, 0
        self._have.pop(slot.k, None)
        self._exported.pop(slot.k, None)
        transport.write(self._hosts_frame(slot))
        log.info("worker %d/%d started (pid %d)", slot.k, self.count, slot.proc.pid)

    async def _supervise(self, slot: _Slot) -> None:
        backoff = BACKOFF_FIRST_S
        while True:
            started = time.monotonic()
            if slot.transport is not None and slot.proc is not None:
                reader = slot.transport.get_protocol()
                assert isinstance(reader, _Reader)
                await reader.closed
                what = f"(pid {slot.proc.pid}) ended ({_exit_words(await _reaped(slot.proc))})"
            else:
                what = "could not be started"
            slot.transport = None
            self._fail_requests(slot.k)
            if self._stopping.is_set() or slot.retired:
                return
            if time.monotonic() - started >= HEALTHY_AFTER_S:
                backoff = BACKOFF_FIRST_S
            slot.restarts += 1
            self.restarts += 1
            log.error("worker %d/%d %s; restarting it in %.1f s", slot.k, self.count, what, backoff)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(backoff):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            backoff = min(BACKOFF_CAP_S, backoff * 2)
            try:
                await self._spawn(slot)
            except OSError as exc:  # out of processes or memory: try again after a while
                log.error("worker %d/%d: %s", slot.k, self.count, exc)
                slot.transport = None

    def _send(self, slot: _Slot, data: bytes) -> None:
        if slot.transport is not None and not slot.transport.is_closing():
            slot.transport.write(data)

    async def stop(self, deadline_s: float = DRAIN_DEADLINE_S) -> None:
        """Drain every worker: each stops its hosts and sends its last polls. Whatever still
        runs at the deadline (or when this wait is cancelled by a second signal) is killed."""
        self._stopping.set()
        started = time.monotonic()
        await self._drain(self._slots, deadline_s)
        log.info("%d workers stopped in %.1f s", self.count, time.monotonic() - started)

    async def _drain(self, slots: list[_Slot], deadline_s: float) -> None:
        for slot in slots:
            self._send(slot, wire.frame(wire.STOP, b""))
        supervisors = [s.supervisor for s in slots if s.supervisor is not None]
        try:
            if supervisors:
                _, late = await asyncio.wait(supervisors, timeout=deadline_s)
                for task in late:
                    log.warning("%s did not drain within %g s; killed", task.get_name(), deadline_s)
        finally:
            for slot in slots:
                if slot.proc is not None and slot.proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        slot.proc.kill()
                if slot.transport is not None:
                    slot.transport.abort()
                if slot.supervisor is not None:
                    slot.supervisor.cancel()

    def families(self) -> Iterator[Metric]:
        restarts = CounterMetricFamily(
            "sshmon_worker_restarts",
            "Poller worker processes restarted after they ended unasked.",
            labels=["worker"],
        )
        up = GaugeMetricFamily(
            "sshmon_worker_up", "1 while the poller worker process is connected.", labels=["worker"]
        )
        dropped = CounterMetricFamily(
            "sshmon_worker_dropped_polls",
            "Polls a worker dropped because this process fell behind reading them "
            "(as of the worker's last /metrics reply).",
            labels=["worker"],
        )
        for slot in self._slots:
            restarts.add_metric([str(slot.k)], slot.restarts)
            live = slot.transport is not None and not slot.transport.is_closing()
            up.add_metric([str(slot.k)], 1 if live else 0)
            dropped.add_metric([str(slot.k)], slot.dropped_before + slot.dropped)
        yield restarts
        yield up
        yield dropped


def _export_body(body: bytes) -> tuple[dict[str, float], dict[str, Packed], int]:
    """The worker's EXPORT_REPLY JSON (sshmon/worker.py `_export_parts`), checked field by
    field: each host's packed families as the renderer keeps them, its text unpacked once
    to check that the line ends fit it; and the polls it dropped so far."""
    data = json.loads(body)
    times = {str(h): float(ts) for h, ts in dict(data["times"]).items()}
    dropped = int(data["dropped"])
    if dropped < 0:
        raise ValueError("a negative count of dropped polls")
    parts = dict(data["printed"])
    layouts: list[tuple[Meta, ...]] = []
    for metas in list(parts["layouts"]):
        checked = []
        for meta in metas:
            if len(meta) != 4 or not all(isinstance(x, str) for x in meta):
                raise ValueError("a family meta is not four strings")
            checked.append((meta[0], meta[1], meta[2], meta[3]))
        layouts.append(tuple(checked))
    packed: dict[str, Packed] = {}
    for host, (layout, text, ends_b64) in dict(parts["hosts"]).items():
        if not 0 <= int(layout) < len(layouts):
            raise ValueError(f"{host}: no family layout {layout}")
        metas = layouts[int(layout)]
        ends = array("I")
        ends.frombytes(base64.b64decode(ends_b64, validate=True))
        raw = base64.b64decode(text, validate=True)
        unpacked = zlib.decompressobj()
        size = len(unpacked.decompress(raw, MAX_HOST_TEXT))
        if unpacked.unconsumed_tail or not unpacked.eof:
            raise ValueError(f"{host}: its text is cut short or over {MAX_HOST_TEXT} bytes")
        last = ends[-1] if ends else 0
        if len(ends) != len(metas) or list(ends) != sorted(ends) or last != size:
            raise ValueError(f"{host}: lines do not match the families")
        packed[str(host)] = Packed(metas, raw, ends)
    return times, packed, dropped


def _peers(names: set[str], by_name: dict[str, Host]) -> list[Host]:
    """The inventory hosts a share's `jump:` chains name (a chain may go through several)."""
    found: dict[str, Host] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        host = by_name.get(name)
        if host is None or name in found:
            continue
        found[name] = host
        if host.jump:
            todo.append(host.jump)
    return list(found.values())


async def _reaped(proc: asyncio.subprocess.Process) -> int:
    """The exit code of a worker whose socket closed; one that closed it and lingers is
    killed after a short wait."""
    try:
        async with asyncio.timeout(DRAIN_DEADLINE_S):
            return await proc.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        return await proc.wait()


def _exit_words(rc: int) -> str:
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"
