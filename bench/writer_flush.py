"""One writer flush, in-process: the store owner's share of a poll, without the poller.

    .venv/bin/python bench/writer_flush.py --hosts 1000 --flushes 6 [--synthetic]
        [--capture DIR] [--breakdown] [--profile FILE]

Fills a fresh embedded store through the real Writer with `--hosts` polls per flush, then
times `Writer._flush` (point conversion and rounding, the driver's serialisation, chDB's
insert with the views, the poll_status/host_info inserts) by CPU of the calling thread:
the same work the writer thread of `sshmon run` does every 10 s. The polls are those of
the simulator's real capture (bench/real_polls.py: what `run_bench.py` stores, ~104
points a poll here), or with `--synthetic` tests/api/synth.py's (~51 points). Prints the
median over `--flushes` (the first, with the engine cold, is left out) per flush and per
poll; `--breakdown` adds each part's median: converting the points, the driver's Native
serialisation of them alone, and each table's `client.insert` (serialisation included).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import fleet_synth  # noqa: E402
from real_polls import RealPolls  # noqa: E402

from poller import gcpolicy  # noqa: E402
from store import records  # noqa: E402
from store.settings import StoreSettings  # noqa: E402
from store.writer import Writer  # noqa: E402

synth = fleet_synth.load()


class _Parts:
    """Thread CPU of named parts of one flush, by wrapping the functions that do them."""

    def __init__(self) -> None:
        self.now: dict[str, float] = {}

    @contextmanager
    def timing(self, name: str) -> Iterator[None]:
        c = time.thread_time()
        try:
            yield
        finally:
            self.now[name] = self.now.get(name, 0.0) + time.thread_time() - c

    def wrap(self, name: Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **kw: Any) -> Any:
            with self.timing(name(*a, **kw)):
                return fn(*a, **kw)

        return wrapped


def _instrument(writer: Writer, parts: _Parts) -> None:
    records.point_columns = parts.wrap(lambda *a, **k: "convert points", records.point_columns)
    import store.writer as w

    w.records = records
    client = writer._ensure_client()
    client.insert = parts.wrap(lambda table, *a, **k: f"insert {table}", client.insert)
    from clickhouse_connect.driver import transform

    native = transform.NativeTransform
    orig = native.build_insert  # a staticmethod: the plain function

    def build_insert(context: Any, error_handler: Any = None) -> Iterator[bytes]:
        gen = orig(context, error_handler)
        while True:  # each block is serialised when the backend asks for it
            with parts.timing(f"serialise {context.table}"):
                chunk = next(gen, None)
            if chunk is None:
                return
            yield chunk

    native.build_insert = staticmethod(build_insert)  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--flushes", type=int, default=6)
    parser.add_argument("--synthetic", action="store_true", help="tests/api/synth.py's polls")
    parser.add_argument("--capture", type=Path, help="reuse/keep the capture here")
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(3)
    names = [f"h{i:05d}" for i in range(args.hosts)]
    shapes = [synth.HostShape(n) for n in names]
    real = None if args.synthetic else RealPolls(args.capture)
    # the collector as `sshmon run` sets it (poller/gcpolicy.py): rarer young passes, no
    # automatic full ones, what exists at start frozen
    gc.set_threshold(gcpolicy.YOUNG_THRESHOLD, gc.get_threshold()[1], gcpolicy.NO_AUTOMATIC_FULL)
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="writer-flush-") as tmp:
        settings = StoreSettings(url=f"chdb://{tmp}/db", spool_dir=f"{tmp}/spool")
        writer = Writer(settings)  # not started: _flush runs on this thread
        parts = _Parts()
        if args.breakdown:
            _instrument(writer, parts)
        ts = float(int(time.time()) - 3600)
        times: list[float] = []
        ptimes: list[float] = []
        rows = 0
        by_part: dict[str, list[float]] = {}
        prof = cProfile.Profile(time.thread_time) if args.profile else None
        for k in range(args.flushes + 1):
            polls = [real.poll(n, k, ts) for n in names] if real is not None else []
            c = time.thread_time()
            for hp in polls:  # what the sink does on the event loop, per poll
                writer.submit(hp.points)
                writer.submit_status(hp.status)
                if hp.info is not None:
                    writer.submit_host_info(hp.info)
            submit = time.thread_time() - c
            for s in shapes if real is None else ():
                writer.submit(synth.poll(s, ts, rng))
                writer.submit_status(synth.status(s, ts))
                if k % 12 == 0:
                    writer.submit_host_info(synth.info(s, ts))
            rows = writer._queue.rows
            if prof is not None and k:
                prof.enable()
            parts.now = {}
            c, pc = time.thread_time(), time.process_time()
            writer._flush()
            cpu = time.thread_time() - c
            pcpu = time.process_time() - pc
            if prof is not None and k:
                prof.disable()
            if k:
                times.append(cpu)
                ptimes.append(pcpu)
                by_part.setdefault("submit (event loop)", []).append(submit)
                for part, t in parts.now.items():
                    by_part.setdefault(part, []).append(t)
            ts += 10
        writer.close()
        med = statistics.median(times)
        source = "synthetic" if real is None else "real capture"
        print(
            f"{args.hosts} hosts ({source}), {rows} rows a flush: flush CPU median "
            f"{med * 1000:.1f} ms ({med / args.hosts * 1000:.3f} ms per poll); all: "
            + " ".join(f"{t * 1000:.0f}" for t in times)
            + f"; the process's CPU meanwhile (chDB's other threads too): "
            f"{statistics.median(ptimes) * 1000:.1f} ms"
        )
        for part, ts_ in sorted(by_part.items()):
            m = statistics.median(ts_)
            print(f"  {part:24} {m * 1000:7.1f} ms ({m / args.hosts * 1000:.4f} ms per poll)")
        if prof is not None:
            prof.dump_stats(args.profile)


if __name__ == "__main__":
    main()
