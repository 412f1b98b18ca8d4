"""Writer ingest: sustained fleet load and peak insert rate into embedded chDB, views attached.

    .venv/bin/python bench/store_ingest.py [--hosts 2000] [--points 80] [--seconds 60]
                                           [--peak-rows 3000000]

Sustained: every second a producer thread submits the points of hosts/10 hosts (a 10 s poll
spread over the interval, as the scheduler's jitter does), i.e. 16,000 points/s by default,
through Writer.submit exactly as the poller does. Reported: CPU of the writer's worker
thread (conversion, rounding, the insert and the views, which chDB runs on the calling
thread) as % of one core; the producer's cost of submit(); and the whole process's CPU,
which adds chDB's background merges. Peak: submit `--peak-rows` points as fast as possible
and time until the writer has inserted them all.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import threading
import time

import psutil

from poller.points import Point
from store.settings import StoreSettings
from store.writer import Writer


def fleet(hosts: int, points: int) -> list[list[tuple[str, str, str, float]]]:
    """Per host: (metric, host, dev, base value) for each of its series."""
    rng = random.Random(7)
    return [[(f"metric_{m:02d}", f"host-{h:04d}", "eth0" if m % 8 == 0 else "",
              rng.uniform(0, 1e6) if m % 3 == 0 else rng.uniform(0, 100))
             for m in range(points)] for h in range(hosts)]


def thread_cpu(native_id: int | None) -> float:
    for t in psutil.Process().threads():
        if t.id == native_id:
            return float(t.user_time + t.system_time)
    raise LookupError("writer thread not found")


def process_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sustained(writer: Writer, hosts: int, points: int, seconds: int) -> None:
    series = fleet(hosts, points)
    rng = random.Random(1)
    per_tick = hosts // 10
    worker = writer._thread  # private: the bench needs its thread id
    assert worker is not None
    cpu0, proc0, submit_cpu, t0 = thread_cpu(worker.native_id), process_cpu(), 0.0, time.time()
    for second in range(seconds):
        now = t0 + second
        for host in range((second % 10) * per_tick, (second % 10 + 1) * per_tick):
            batch = [Point(m, h, d, now, base * rng.uniform(0.9, 1.1))
                     for m, h, d, base in series[host]]
            c = time.thread_time()
            writer.submit(batch)
            submit_cpu += time.thread_time() - c
        time.sleep(max(0.0, t0 + second + 1 - time.time()))
    wall = time.time() - t0
    stats = writer.stats()
    writer_cpu = thread_cpu(worker.native_id) - cpu0
    print(f"sustained: {stats.rows_written / wall:,.0f} points/s over {wall:.0f} s, "
          f"{stats.batches_written} batches, last insert {stats.last_insert_latency_s:.3f} s "
          f"for {stats.last_batch_rows:,} rows")
    print(f"  writer thread CPU {100 * writer_cpu / wall:.1f} % of one core; "
          f"submit() {100 * submit_cpu / wall:.2f} %; "
          f"whole process {100 * (process_cpu() - proc0) / wall:.1f} % (includes generating "
          f"points and chDB merges); dropped {stats.dropped_rows}")


def peak(writer: Writer, rows: int) -> None:
    series = [s for host in fleet(2000, 80) for s in host]
    worker = writer._thread  # private: the bench needs its thread id
    assert worker is not None
    cpu0, t0 = thread_cpu(worker.native_id), time.time()
    sent, now = 0, t0 - 86_400
    while sent < rows:
        now += 10
        for i in range(0, len(series), 8_000):  # 100 hosts per submit
            while writer.stats().queued_rows > 400_000:  # the bench's own back-pressure
                time.sleep(0.005)
            writer.submit([Point(m, h, d, now, v) for m, h, d, v in series[i:i + 8_000]])
        sent += len(series)
    while writer.stats().rows_written + writer.stats().dropped_rows < sent:
        time.sleep(0.01)
    wall = time.time() - t0
    cpu = thread_cpu(worker.native_id) - cpu0
    print(f"peak: {sent:,} points in {wall:.1f} s wall = {sent / wall:,.0f} points/s; "
          f"writer thread {cpu:.1f} CPU-s = {sent / cpu:,.0f} points per writer CPU-second; "
          f"dropped {writer.stats().dropped_rows} (producer and writer share the process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--points", type=int, default=80)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--peak-rows", type=int, default=3_000_000)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="sshmon-ingest-")
    settings = StoreSettings(url=f"chdb://{root}/db", spool_dir=f"{root}/spool")
    print(f"chDB in {root}; {os.cpu_count()} CPUs; batch_rows {settings.batch_rows}, "
          f"flush every {settings.flush_interval_s} s")
    writer = Writer(settings)
    writer.start()
    while writer.stats().batches_written == 0:  # connect + migrate before measuring
        writer.submit([Point("warmup", "h", "", time.time(), 1.0)])
        time.sleep(0.1)
    sustained(writer, args.hosts, args.points, args.seconds)
    peak_writer = Writer(settings.model_copy(update={"batch_rows": 100_000}))
    peak_writer.start()
    peak(peak_writer, args.peak_rows)
    writer.close(30)
    peak_writer.close(30)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
