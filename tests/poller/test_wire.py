"""poller/wire.py: what a worker sends is what the owner gets, and nothing else decodes."""

from __future__ import annotations

import asyncio
import random
import struct
from pathlib import Path

import pytest

from poller import shard as sharding
from poller import wire
from poller.collectors.status import CollectorState, CollectorStatus
from poller.derive import MIN_INTERVAL_S
from poller.inventory import Host
from poller.points import HostInfo, HostState, Point, PollStatus
from poller.poll import HostPoller, PollOutcome
from poller.scheduler import SystemClock
from poller.transport import LocalLink
from sshmon.workers import SALT, SshBase, WorkerPool, auto_count, polls_per_s, share


def same(a: PollOutcome, b: PollOutcome) -> None:
    """Everything the owner's sink reads; readings and raw output stay in the worker."""
    assert b.status == a.status
    assert b.points == a.points
    assert b.host_info == a.host_info
    assert dict(b.dropped) == dict(a.dropped)
    assert dict(b.collectors) == dict(a.collectors)
    assert b.schedule_lag_s == a.schedule_lag_s


def through(outcomes: list[PollOutcome], chunk: int = 0) -> list[PollOutcome]:
    """Encode on one end, cut the byte stream into arbitrary pieces, decode on the other."""
    encoder, decoder, frames = wire.PollEncoder(), wire.PollDecoder(), wire.FrameBuffer()
    stream = b"".join(encoder.encode(o) for o in outcomes)
    rng = random.Random(chunk)
    out: list[PollOutcome] = []
    at = 0
    while at < len(stream):
        step = rng.randint(1, chunk) if chunk else len(stream)
        for kind, payload in frames.feed(stream[at : at + step]):
            assert kind == wire.POLL
            out.append(decoder.decode(payload))
        at += step
    return out


def test_real_polls_of_this_machine_arrive_whole() -> None:
    host = Host(name="here", address="localhost", transport="local")

    async def two_polls() -> list[PollOutcome]:
        poller = HostPoller(host, LocalLink(host), SystemClock())
        try:
            first = await poller.poll()
            # Rates are derived only when the polls are MIN_INTERVAL_S apart; on a fast
            # machine two polls in a row come closer than that (CI saw no rates at all).
            await asyncio.sleep(2 * MIN_INTERVAL_S)
            return [first, await poller.poll()]
        finally:
            await poller.close()

    polls = asyncio.run(two_polls())
    first, second = polls
    assert first.host_info is not None and first.collectors  # the slow round
    assert {"cpu_busy_percent", "context_switches_per_second"} <= {
        p.metric for p in second.points
    }  # rates need the second poll
    for chunk in (0, 1, 7, 4096):
        got = through(polls, chunk)
        assert len(got) == 2
        for a, b in zip(polls, got, strict=True):
            same(a, b)


def failed_poll() -> PollOutcome:
    status = PollStatus(
        "web-1", 1e9, HostState.PROBE_FAILED, "sections skipped: é\u2028", 0.25, ("df",)
    )
    points = [
        Point("fs_used_percent", "web-1", "/", 1e9 - 60, 41.5),  # a slow round's own time
        Point("load1", "web-1", "", 1e9, float("inf")),
        Point("custom_x", "web-1", "a\x00b", 1e9, -0.0),
    ]
    info = HostInfo(
        "web-1", 1e9, os_name="Debian", cpus=4, boot_time=1.5e9, failed_units=("a.service", "")
    )
    collectors = {"df": CollectorStatus(CollectorState.FAILED, "timed out"), "stat": OK}
    return PollOutcome(
        status,
        points,
        info,
        schedule_lag_s=0.5,
        dropped={"netdev": 3},
        collectors=collectors,
    )


OK = CollectorStatus(CollectorState.OK)


def test_odd_values_per_point_times_and_empty_polls_survive() -> None:
    empty = PollOutcome(PollStatus("db-2", 2e9, HostState.UNREACHABLE, "refused", 0.0))
    polls = [failed_poll(), empty, failed_poll()]
    got = through(polls, 3)
    for a, b in zip(polls, got, strict=True):
        same(a, b)


def test_names_are_sent_once_per_connection() -> None:
    encoder = wire.PollEncoder()
    first, again = encoder.encode(failed_poll()), encoder.encode(failed_poll())
    assert b"fs_used_percent" in first and b"fs_used_percent" not in again
    assert len(again) < len(first)


def test_unchanged_collector_statuses_are_sent_once_per_host() -> None:
    encoder, decoder = wire.PollEncoder(), wire.PollDecoder()
    first, again = encoder.encode(failed_poll()), encoder.encode(failed_poll())
    assert b"timed out" in first and b"timed out" not in again
    changed = failed_poll()
    changed.collectors["df"] = CollectorStatus(CollectorState.FAILED, "timed out again")
    status = failed_poll().status._replace(host="web-2")
    other_host = PollOutcome(status, [], collectors=failed_poll().collectors)
    frames = [first, again, encoder.encode(changed), encoder.encode(other_host)]
    assert b"timed out again" in frames[2] and b"timed out" in frames[3]
    got = [decoder.decode(f[wire.HEADER.size :]) for f in frames]
    for a, b in zip([failed_poll(), failed_poll(), changed, other_host], got, strict=True):
        same(a, b)
    assert got[1].collectors == got[0].collectors


def test_a_repeat_of_collector_statuses_never_sent_is_refused() -> None:
    encoder, decoder = wire.PollEncoder(), wire.PollDecoder()
    decoder.decode(encoder.encode(failed_poll())[wire.HEADER.size :])
    repeat = encoder.encode(failed_poll())[wire.HEADER.size :]
    # the same frame said of another name in the table ("df", sent as a failed section)
    stranger = repeat[:1] + struct.pack("=I", 1) + repeat[5:]
    with pytest.raises(wire.WireError, match="df repeats collector statuses never sent"):
        decoder.decode(stranger)
    same(failed_poll(), decoder.decode(repeat))


def test_the_string_table_starts_over_at_its_limit_on_both_ends() -> None:
    encoder, decoder = wire.PollEncoder(max_strings=5), wire.PollDecoder(max_strings=10)
    for i in range(20):
        poll = failed_poll()
        renamed = [p._replace(dev=f"veth{i}") for p in poll.points]
        poll = PollOutcome(poll.status, renamed, None, collectors=poll.collectors)
        got = decoder.decode(encoder.encode(poll)[wire.HEADER.size :])
        same(poll, got)


def test_a_failed_encode_does_not_desynchronise_the_table() -> None:
    encoder, decoder = wire.PollEncoder(), wire.PollDecoder()
    bad = failed_poll()
    stranger = [*bad.points, Point("new_metric", "other-host", "", 1e9, 1.0)]
    with pytest.raises(wire.WireError, match="another host"):
        encoder.encode(PollOutcome(bad.status, stranger))
    good = failed_poll()
    same(good, decoder.decode(encoder.encode(good)[wire.HEADER.size :]))


def payload() -> bytes:
    return wire.PollEncoder().encode(failed_poll())[wire.HEADER.size :]


@pytest.mark.parametrize(
    ("mangle", "error"),
    [
        (lambda p: p[:-1], "frame ends"),
        (lambda p: p + b"\0", "left over"),
        (lambda p: p[:1] + struct.pack("=I", 999) + p[5:], "never sent"),  # host id
        (lambda p: p[:13] + b"\x63" + p[14:], "unknown host state"),
        (lambda p: p[:30] + struct.pack("=I", 10**6) + p[34:], "string table"),
    ],
)
def test_the_decoder_refuses_malformed_polls(mangle: object, error: str) -> None:
    with pytest.raises(wire.WireError, match=error):
        wire.PollDecoder().decode(mangle(payload()))  # type: ignore[operator]


def test_the_frame_reader_refuses_oversized_and_unknown_frames() -> None:
    with pytest.raises(wire.WireError, match="limit"):
        list(wire.FrameBuffer().feed(wire.HEADER.pack(wire.MAX_FRAME + 1, wire.POLL)))
    with pytest.raises(wire.WireError, match="unknown frame type"):
        list(wire.FrameBuffer().feed(wire.HEADER.pack(1, 99) + b"x"))
    # a frame announced but not all here yet is waited for, not refused
    assert list(wire.FrameBuffer().feed(wire.HEADER.pack(10, wire.POLL) + b"abc")) == []


def test_top_requests_and_replies() -> None:
    frames = list(wire.FrameBuffer().feed(wire.top_request(7, "web-1")))
    assert frames == [(wire.TOP, struct.pack("=I", 7) + b"web-1")]
    assert wire.read_top_request(frames[0][1]) == (7, "web-1")
    ((kind, body),) = wire.FrameBuffer().feed(wire.top_reply(7, False, b"not connected"))
    assert kind == wire.TOP_REPLY and wire.read_top_reply(body) == (7, False, b"not connected")


def test_workers_split_a_poll_shard_evenly_again() -> None:
    names = [f"host-{i}" for i in range(2000)]
    mine = [Host(name=n, address="x") for n in sharding.select(names, sharding.Shard(1, 2))]
    sizes = [len(share(mine, k, 2)) for k in (1, 2)]
    # unsalted, every host shard 1 of 2 won would go to worker 1 of 2
    assert all(sharding.owner(h.name, 2) == 1 for h in mine)
    assert min(sizes) > 0.4 * len(mine), sizes
    assert sum(sizes) == len(mine)
    assert {sharding.owner(h.name, 2, salt=SALT) for h in mine} == {1, 2}


@pytest.mark.parametrize(
    ("hosts", "interval", "cores", "want"),
    [
        (0, 10, 2, 1),
        (1000, 10, 2, 1),  # 100 polls a second: one process is cheaper
        (3000, 10, 2, 1),
        (3001, 10, 2, 2),
        (10000, 30, 2, 2),
        (5000, 10, 2, 2),
        (5000, 10, 32, 2),
        (50000, 10, 32, 8),
        (600, 1, 32, 2),
    ],
)
def test_auto_worker_count(hosts: int, interval: float, cores: int, want: int) -> None:
    fleet = [Host(name=f"h{i}", address="x", interval=interval) for i in range(hosts)]
    assert auto_count(polls_per_s(fleet), cores) == want


def test_the_owner_drops_a_poll_of_a_host_a_reload_removed(tmp_path: Path) -> None:
    """A worker may send a poll of a host after the reload that removed it (in flight when
    its new share arrived): delivering it would bring the host back into /metrics and the
    store after the owner forgot it."""
    got: list[str] = []
    ssh = SshBase(tmp_path / "kh", 10)
    pool = WorkerPool(2, lambda o: got.append(o.status.host), ssh)
    web, db = Host(name="web-1", address="x"), Host(name="db-2", address="y")

    async def reloads() -> None:
        await pool.apply([web, db], [], 2, ssh)
        pool.deliver(failed_poll())  # web-1
        await pool.apply([db], [], 2, ssh)  # web-1 removed
        pool.deliver(failed_poll())

    asyncio.run(reloads())
    assert got == ["web-1"]


def test_a_worker_counts_the_polls_it_drops_while_the_owner_does_not_read() -> None:
    """Its output buffer past OUT_BUFFER_CAP (an owner stalled), a worker drops polls rather
    than grow without end, and says how many in its next /metrics reply."""
    import json
    import socket

    from sshmon import worker as worker_mod

    async def stalled() -> tuple[int, int]:
        ours, theirs = socket.socketpair()
        try:
            _, writer = await asyncio.open_unix_connection(sock=ours)
            w = worker_mod.Worker(writer)
            blob = b"x" * (4 * 1024 * 1024)  # more than the kernel's socket buffers take
            writer.write(blob)
            assert writer.transport.get_write_buffer_size() > 0
            cap, worker_mod.OUT_BUFFER_CAP = worker_mod.OUT_BUFFER_CAP, 0
            try:
                for _ in range(3):
                    w.sink(failed_poll())
            finally:
                worker_mod.OUT_BUFFER_CAP = cap
            w.sink(failed_poll())  # room again (the cap back): sent
            w._flush()
            await w._export(request=1, have=0)
            # the owner reads again: past the blob, one POLL, then the reply
            theirs.setblocking(False)
            reader, owner = await asyncio.open_unix_connection(sock=theirs)
            await reader.readexactly(len(blob))
            frames = wire.FrameBuffer()
            kinds: list[int] = []
            while wire.EXPORT_REPLY not in kinds:
                for kind, body in frames.feed(await reader.read(65536)):
                    kinds.append(kind)
                    if kind == wire.EXPORT_REPLY:
                        _, reply = wire.read_export_reply(body)
            writer.close()
            owner.close()
            await owner.wait_closed()
            return kinds.count(wire.POLL), json.loads(reply)["dropped"]
        finally:
            theirs.close()

    assert asyncio.run(stalled()) == (1, 3)
