"""The binary framing between `sshmon run`'s poller workers and the process that owns the
store (sshmon/workers.py, sshmon/worker.py). Pure: bytes in, values out.

A frame is `>I` payload length, one type byte, then the payload. Polls are the hot path (one
frame per poll of every host): the host, metric, device, section and collector names are
interned per connection, so each is sent once and then referred to by a u32 id; a poll's
points travel as three packed arrays (metric ids, device ids, values) plus one timestamp
when, as almost always, every point has the poll's own. Control messages (the host list,
sent at start and on a reload) are rare and carry JSON. No pickle anywhere.

The workers are ours, but the decoder is strict anyway and everything in it is bounded: a
frame over `MAX_FRAME`, a string table over `MAX_STRINGS`, an id outside the table, a
count that runs past the end of the frame or bytes left over after it all raise
`WireError`, and the owner then drops that worker (which is restarted). Native byte order
and float layout throughout: both ends are processes on the same machine.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from poller.collectors.status import CollectorState, CollectorStatus
from poller.points import HostInfo, HostState, Point, PollStatus
from poller.poll import PollOutcome

MAX_FRAME: Final = 64 * 1024 * 1024  # the biggest is a host list of ~10,000 hosts
MAX_STRINGS: Final = 200_000  # interned names per connection before the table starts over
MAX_TEXT: Final = 64 * 1024  # a status reason or collector reason, in bytes (UTF-8)
HEADER: Final = struct.Struct(">IB")

# owner -> worker
HOSTS: Final = 1  # JSON: the worker's hosts and the SSH settings (sshmon/worker.py)
TOP: Final = 2  # u32 request id, host name: run the process list on the host's session
STOP: Final = 3  # drain: stop polling, close every connection, send what is left, exit
EXPORT: Final = 4  # u32 request id, u32 last reply applied: /metrics wants host samples
# worker -> owner
POLL: Final = 10  # one PollOutcome
TOP_REPLY: Final = 11  # u32 request id, u8 ok, the output (or the error's words)
# u32 request id, JSON: the hosts' newest good poll times and the printed node_exporter
# families of those the owner does not have yet (once per scrape, not per poll)
EXPORT_REPLY: Final = 12
TYPES: Final = frozenset({HOSTS, TOP, STOP, EXPORT, POLL, TOP_REPLY, EXPORT_REPLY})

_STATES: Final = tuple(HostState)
_STATE_INDEX: Final = {s: i for i, s in enumerate(_STATES)}
_CSTATES: Final = tuple(CollectorState)
_CSTATE_INDEX: Final = {s: i for i, s in enumerate(_CSTATES)}
_FLAG_RESET = 1  # the string table starts over before this frame's new strings
# the host's collector statuses are those of its previous poll on this connection: they
# change rarely, and decoding ~25 (name, state, reason) triples a poll was a third of the
# owner's decoding (issue 15)
_FLAG_SAME_COLLECTORS = 2
_FLAG_ONE_TS = 1  # every point has the poll's timestamp: no per-point ts array
_POLL_HEAD = struct.Struct("=BIdBdd")  # flags, host id, ts, state, duration, schedule lag
_U8, _U16, _U32, _F64 = struct.Struct("=B"), struct.Struct("=H"), struct.Struct("=I"), "d"
_INFO_TEXT = ("os_name", "kernel", "arch", "cpu_model")
_INFO_NUM = ("memory_bytes", "boot_time")
# the parser keeps 20 (parsers/cmd_systemctl_failed.py); anything past this is not ours
_MAX_FAILED_UNITS = 1024
# Points built with tuple.__new__, as poller/derive.py does: Point(...) runs NamedTuple's
# Python-level __new__, which was half the cost of decoding a poll's points
_new_point: Final = tuple.__new__


class WireError(ValueError):
    """The bytes are not a well-formed frame of this protocol."""


def frame(kind: int, payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME:
        raise WireError(f"frame of {len(payload)} bytes is over the {MAX_FRAME} limit")
    return HEADER.pack(len(payload), kind) + payload


class FrameBuffer:
    """Cuts a byte stream into (type, payload) frames as the bytes arrive."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        self._buf += data
        buf, at = self._buf, 0
        try:
            while len(buf) - at >= HEADER.size:
                size, kind = HEADER.unpack_from(buf, at)
                if size > MAX_FRAME:
                    raise WireError(f"frame of {size} bytes announced, limit {MAX_FRAME}")
                if kind not in TYPES:
                    raise WireError(f"unknown frame type {kind}")
                end = at + HEADER.size + size
                if len(buf) < end:
                    break
                yield kind, bytes(buf[at + HEADER.size : end])
                at = end
        finally:
            del buf[:at]


def top_request(request: int, host: str) -> bytes:
    return frame(TOP, _U32.pack(request) + host.encode())


def read_top_request(payload: bytes) -> tuple[int, str]:
    if len(payload) < 4:
        raise WireError("short TOP frame")
    return _U32.unpack_from(payload)[0], _text(payload[4:])


def top_reply(request: int, ok: bool, output: bytes) -> bytes:
    return frame(TOP_REPLY, _U32.pack(request) + _U8.pack(ok) + output)


def read_top_reply(payload: bytes) -> tuple[int, bool, bytes]:
    if len(payload) < 5:
        raise WireError("short TOP_REPLY frame")
    return _U32.unpack_from(payload)[0], bool(payload[4]), payload[5:]


def export_request(request: int, have: int) -> bytes:
    return frame(EXPORT, _U32.pack(request) + _U32.pack(have))


def read_export_request(payload: bytes) -> tuple[int, int]:
    if len(payload) != 8:
        raise WireError("EXPORT frame is not 8 bytes")
    return _U32.unpack_from(payload)[0], _U32.unpack_from(payload, 4)[0]


def export_reply(request: int, body: bytes) -> bytes:
    return frame(EXPORT_REPLY, _U32.pack(request) + body)


def read_export_reply(payload: bytes) -> tuple[int, bytes]:
    if len(payload) < 4:
        raise WireError("short EXPORT_REPLY frame")
    return _U32.unpack_from(payload)[0], payload[4:]


class PollEncoder:
    """Worker side: PollOutcome -> POLL frame, names interned on this connection."""

    def __init__(self, max_strings: int = MAX_STRINGS) -> None:
        self._ids: dict[str, int] = {}
        self._new: list[bytes] = []
        self._max = max_strings
        self._reset = False
        # host -> the collector statuses last sent for it (with the names they were sent as)
        self._collectors: dict[str, Mapping[str, CollectorStatus]] = {}

    def _id(self, text: str) -> int:
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = len(self._ids)
            self._new.append(_short(text))
        return found

    def encode(self, outcome: PollOutcome) -> bytes:
        try:
            return self._encode(outcome)
        except BaseException:
            # names interned by a frame that was never sent: both ends start over
            self._ids.clear()
            self._new.clear()
            self._collectors.clear()
            self._reset = True
            raise

    def _encode(self, outcome: PollOutcome) -> bytes:
        if len(self._ids) >= self._max:
            # a churn of device names (containers' veths) must not grow both ends forever
            self._ids.clear()
            self._collectors.clear()
            self._reset = True
        status, points = outcome.status, outcome.points
        host = self._id(status.host)
        body: list[bytes] = [
            _text_field(status.reason),
            _ids_field([self._id(s) for s in status.failed_sections]),
        ]
        body.append(self._points(status, points))
        body.append(self._info(outcome.host_info))
        body.append(_U16.pack(len(outcome.dropped)))
        for section, n in outcome.dropped.items():
            body.append(_U32.pack(self._id(section)) + _U32.pack(min(n, 0xFFFFFFFF)))
        flags = _FLAG_RESET if self._reset else 0
        collectors = outcome.collectors
        if self._collectors.get(status.host) == collectors:
            flags |= _FLAG_SAME_COLLECTORS
        else:
            body.append(_U16.pack(len(collectors)))
            for name, cs in collectors.items():
                body.append(
                    _U32.pack(self._id(name))
                    + _U8.pack(_CSTATE_INDEX[cs.state])
                    + _text_field(cs.reason)
                )
            self._collectors[status.host] = collectors
        head = _POLL_HEAD.pack(
            flags,
            host,
            status.ts,
            _STATE_INDEX[status.state],
            status.duration_s,
            outcome.schedule_lag_s,
        )
        new = _U32.pack(len(self._new)) + b"".join(self._new)
        self._new.clear()
        self._reset = False
        return frame(POLL, head + new + b"".join(body))

    def _points(self, status: PollStatus, points: Sequence[Point]) -> bytes:
        if not points:
            return _U32.pack(0)
        ident = self._id
        metrics = array("I", [ident(p.metric) for p in points])
        devs = array("I", [ident(p.dev) for p in points])
        values = array(_F64, [p.value for p in points])
        if any(p.host != status.host for p in points):
            raise WireError(f"a point of another host in a poll of {status.host}")
        one_ts = all(p.ts == status.ts for p in points)
        out = [_U32.pack(len(points)), _U8.pack(_FLAG_ONE_TS if one_ts else 0)]
        out += [metrics.tobytes(), devs.tobytes(), values.tobytes()]
        if not one_ts:
            out.append(array(_F64, [p.ts for p in points]).tobytes())
        return b"".join(out)

    def _info(self, info: HostInfo | None) -> bytes:
        if info is None:
            return _U8.pack(0)
        out = [_U8.pack(1), struct.pack("=d", info.ts)]
        for name in _INFO_TEXT:
            value = getattr(info, name)
            out.append(b"\0" if value is None else b"\1" + _text_field(value))
        out.append(b"\0" if info.cpus is None else b"\1" + struct.pack("=q", info.cpus))
        for name in _INFO_NUM:
            value = getattr(info, name)
            out.append(b"\0" if value is None else b"\1" + struct.pack("=d", value))
        units = info.failed_units
        if units is None:
            out.append(b"\0")
        else:
            out += [b"\1", _U16.pack(len(units)), *map(_text_field, units)]
        return b"".join(out)


@dataclass
class _Cursor:
    data: memoryview
    at: int = 0

    def take(self, n: int) -> memoryview:
        end = self.at + n
        if n < 0 or end > len(self.data):
            raise WireError(f"frame ends at {len(self.data)}, wanted {n} bytes at {self.at}")
        piece = self.data[self.at : end]
        self.at = end
        return piece

    def unpack(self, fmt: struct.Struct) -> tuple[object, ...]:
        return fmt.unpack(self.take(fmt.size))

    def u8(self) -> int:
        return int(self.take(1)[0])

    def u16(self) -> int:
        return int(_U16.unpack(self.take(2))[0])

    def u32(self) -> int:
        return int(_U32.unpack(self.take(4))[0])

    def f64(self) -> float:
        return float(struct.unpack("=d", self.take(8))[0])

    def text(self) -> str:
        n = self.u32()
        if n > MAX_TEXT:
            raise WireError(f"text of {n} bytes, limit {MAX_TEXT}")
        return _text(self.take(n))

    def ints(self, n: int) -> array[int]:
        out = array("I")
        out.frombytes(self.take(n * out.itemsize))
        return out

    def floats(self, n: int) -> array[float]:
        out: array[float] = array(_F64)
        out.frombytes(self.take(n * out.itemsize))
        return out


class PollDecoder:
    """Owner side: POLL frame -> PollOutcome, with this connection's string table (which
    may go over the encoder's limit by one frame's new names before a reset)."""

    def __init__(self, max_strings: int = 2 * MAX_STRINGS) -> None:
        self._table: list[str] = []
        self._max = max_strings
        # host -> its collector statuses as last sent (see _FLAG_SAME_COLLECTORS)
        self._collectors: dict[str, Mapping[str, CollectorStatus]] = {}

    def decode(self, payload: bytes) -> PollOutcome:
        c = _Cursor(memoryview(payload))
        flags, host_id, ts, state, duration, lag = c.unpack(_POLL_HEAD)
        assert isinstance(flags, int) and isinstance(host_id, int) and isinstance(state, int)
        assert isinstance(ts, float) and isinstance(duration, float) and isinstance(lag, float)
        if flags & _FLAG_RESET:
            self._table.clear()
            self._collectors.clear()
        self._learn(c)
        table = self._table
        host = self._name(host_id)
        if state >= len(_STATES):
            raise WireError(f"unknown host state {state}")
        reason = c.text()
        failed = tuple(self._name(i) for i in self._ids(c, c.u32()))
        status = PollStatus(host, ts, _STATES[state], reason, duration, failed)
        n = c.u32()
        points: list[Point] = []
        if n:
            one_ts = c.u8() & _FLAG_ONE_TS
            metrics, devs, values = c.ints(n), c.ints(n), c.floats(n)
            if max(metrics) >= len(table) or max(devs) >= len(table):
                raise WireError("a point names a string that was never sent")
            new = _new_point
            if one_ts:
                points = [
                    new(Point, (table[m], host, table[d], ts, v))
                    for m, d, v in zip(metrics, devs, values, strict=True)
                ]
            else:
                stamps = c.floats(n)
                points = [
                    new(Point, (table[m], host, table[d], t, v))
                    for m, d, v, t in zip(metrics, devs, values, stamps, strict=True)
                ]
        info = self._info(c, host)
        dropped: dict[str, int] = {}
        for _ in range(c.u16()):
            section = self._name(c.u32())
            dropped[section] = c.u32()
        if flags & _FLAG_SAME_COLLECTORS:
            collectors = self._collectors.get(host)
            if collectors is None:
                raise WireError(f"a poll of {host} repeats collector statuses never sent")
        else:
            collectors = self._collectors[host] = self._read_collectors(c)
        if c.at != len(payload):
            raise WireError(f"{len(payload) - c.at} bytes left over after a poll of {host}")
        return PollOutcome(
            status,
            points,
            info,
            schedule_lag_s=lag,
            dropped=dropped,
            collectors=collectors,
        )

    def _read_collectors(self, c: _Cursor) -> dict[str, CollectorStatus]:
        collectors: dict[str, CollectorStatus] = {}
        for _ in range(c.u16()):
            name, cstate = self._name(c.u32()), c.u8()
            if cstate >= len(_CSTATES):
                raise WireError(f"unknown collector state {cstate}")
            collectors[name] = CollectorStatus(_CSTATES[cstate], c.text())
        return collectors

    def _learn(self, c: _Cursor) -> None:
        n = c.u32()
        if len(self._table) + n > self._max:
            raise WireError(f"string table over {self._max} entries")
        for _ in range(n):
            self._table.append(_text(c.take(c.u16())))

    def _name(self, i: int) -> str:
        if i >= len(self._table):
            raise WireError(f"string {i} was never sent")
        return self._table[i]

    @staticmethod
    def _ids(c: _Cursor, n: int) -> array[int]:
        if n > 4096:
            raise WireError(f"{n} failed sections")
        return c.ints(n)

    def _info(self, c: _Cursor, host: str) -> HostInfo | None:
        if not c.u8():
            return None
        ts = c.f64()
        fields: dict[str, object] = {}
        for name in _INFO_TEXT:
            fields[name] = c.text() if c.u8() else None
        fields["cpus"] = int(struct.unpack("=q", c.take(8))[0]) if c.u8() else None
        for name in _INFO_NUM:
            fields[name] = c.f64() if c.u8() else None
        if c.u8():
            n = c.u16()
            if n > _MAX_FAILED_UNITS:
                raise WireError(f"{n} failed units")
            fields["failed_units"] = tuple(c.text() for _ in range(n))
        return HostInfo(host, ts, **fields)  # type: ignore[arg-type]


def _short(text: str) -> bytes:
    """An interned name: u16 length. Names come from our own parsers, which cap devices and
    escape them; one over 64 KiB is cut (at a character boundary) rather than refused."""
    raw = text.encode()
    if len(raw) > 0xFFFF:
        raw = raw[:0xFFFF].decode(errors="ignore").encode()
    return _U16.pack(len(raw)) + raw


def _text_field(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > MAX_TEXT:
        raw = raw[:MAX_TEXT].decode(errors="ignore").encode()
    return _U32.pack(len(raw)) + raw


def _ids_field(ids: list[int]) -> bytes:
    return _U32.pack(len(ids)) + array("I", ids).tobytes()


def _text(raw: bytes | memoryview) -> str:
    try:
        return bytes(raw).decode()
    except UnicodeDecodeError as exc:
        raise WireError(f"not UTF-8: {exc}") from None
