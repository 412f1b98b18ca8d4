"""One writer flush, in-process: the store owner's share of a poll, without the poller.

    .venv/bin/python bench/writer_flush.py --hosts 500 --flushes 6 [--profile FILE]

Fills a fresh embedded store through the real Writer with `--hosts` synthetic but realistic
polls per flush (tests/api/synth.py: catalog metrics, devices, statuses, host info on one
poll in 12), then times `Writer._flush` (point conversion and rounding, the driver's
serialisation, chDB's insert with the views) by CPU of the calling thread: the same work
the writer thread of `sshmon run` does every 10 s. Prints the median over `--flushes` (the
first, with the engine cold, is left out) per flush and per poll.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from store.settings import StoreSettings
from store.writer import Writer

ROOT = Path(__file__).resolve().parent.parent
# by path: with PYTHONPATH at another tree (A/B), `api` is that tree's web app package
_spec = importlib.util.spec_from_file_location("synth", ROOT / "tests/api/synth.py")
assert _spec is not None and _spec.loader is not None
synth = sys.modules["synth"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--flushes", type=int, default=6)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    rng = random.Random(3)
    shapes = [synth.HostShape(f"h{i:05d}") for i in range(args.hosts)]
    with tempfile.TemporaryDirectory(prefix="writer-flush-") as tmp:
        settings = StoreSettings(url=f"chdb://{tmp}/db", spool_dir=f"{tmp}/spool")
        writer = Writer(settings)  # not started: _flush runs on this thread
        ts = time.time() - 3600
        times, rows = [], 0
        prof = cProfile.Profile(time.thread_time) if args.profile else None
        for k in range(args.flushes + 1):
            for s in shapes:
                writer.submit(synth.poll(s, ts, rng))
                writer.submit_status(synth.status(s, ts))
                if k % 12 == 0:
                    writer.submit_host_info(synth.info(s, ts))
            rows = writer._queue.rows
            if prof is not None and k:
                prof.enable()
            c = time.thread_time()
            writer._flush()
            cpu = time.thread_time() - c
            if prof is not None and k:
                prof.disable()
            if k:
                times.append(cpu)
            ts += 10
        writer.close()
        med = statistics.median(times)
        print(
            f"{args.hosts} hosts, {rows} rows a flush: flush CPU median {med * 1000:.1f} ms "
            f"({med / args.hosts * 1000:.3f} ms per poll); all: "
            + " ".join(f"{t * 1000:.0f}" for t in times)
        )
        if prof is not None:
            prof.dump_stats(args.profile)


if __name__ == "__main__":
    main()
