"""Bytes per sample on disk for points derived from REAL /proc readings of this machine.

store_bytes.py measures generated series; this one polls the machine it runs on through the
real probe (a local `sh`), parser and derivation, GAP_S apart, and stores each poll's
points with timestamps 10 s apart (the readings are real; only the clock is compressed, so
rates are taken over the short real interval between polls, which makes them noisier than
10 s averages: a pessimistic measurement). The gap is needed: rates are derived only over
at least MIN_INTERVAL_S of the target's uptime, which ticks in 10 ms, and back-to-back
polls of a fast machine (~2 ms each) came closer than that, so most polls had no rates
and the figure left them out (54 points a poll instead of ~118). The points go through the
real Writer (its value rounding included) into a fresh embedded store; the raw table is
merged with OPTIMIZE FINAL and bytes_on_disk / rows is read from system.parts.

    .venv/bin/python bench/store_bytes_real.py --polls 3000 --hosts 4
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time

from store_bytes import measure  # bench/ is on sys.path when run as a script

from poller.derive import MIN_INTERVAL_S
from poller.inventory import Host
from poller.poll import HostPoller
from poller.scheduler import SystemClock
from poller.transport import LocalLink
from store.db import connect
from store.migrations import migrate
from store.settings import StoreSettings
from store.writer import Writer

STEP_S = 10.0
GAP_S = 2 * MIN_INTERVAL_S


async def collect(polls: int) -> list[list[tuple[str, str, float]]]:
    """Real polls of this machine: per poll, (metric, dev, value) of every derived point."""
    host = Host(name="real", address="real", transport="local", slow_every=12)
    poller = HostPoller(host, LocalLink(host), SystemClock())
    out = []
    try:
        for _ in range(polls):
            await asyncio.sleep(GAP_S)
            outcome = await poller.poll()
            if outcome.points:
                out.append([(p.metric, p.dev, p.value) for p in outcome.points])
    finally:
        await poller.close()
    return out


def store(settings: StoreSettings, polls: list[list[tuple[str, str, float]]], hosts: int) -> None:
    """Write the same real series under `hosts` names (as a fleet of alike boxes would),
    host h's copy shifted by h polls so the hosts do not carry identical values at one time."""
    from poller.points import Point

    client = connect(settings)
    migrate(client, settings)
    client.close()
    writer = Writer(settings)
    writer.start()
    start = time.time() - len(polls) * STEP_S
    for i in range(len(polls)):
        ts = start + i * STEP_S
        batch = [
            Point(metric, f"host-{h}", dev, ts, value)
            for h in range(hosts)
            for metric, dev, value in polls[(i + h) % len(polls)]
        ]
        writer.submit(batch)
    writer.close(timeout=120)
    client = connect(settings)
    client.command("OPTIMIZE TABLE points FINAL")
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=3000)
    parser.add_argument("--hosts", type=int, default=4)
    args = parser.parse_args()
    polls = asyncio.run(collect(args.polls))
    points = sum(len(p) for p in polls)
    print(f"{len(polls)} real polls of this machine, {points / len(polls):.0f} points each")
    root = tempfile.mkdtemp(prefix="sshmon-bytes-real-")
    settings = StoreSettings(url=f"chdb://{root}", database="real", flush_interval_s=0.5)
    store(settings, polls, args.hosts)
    m = measure(settings)
    print(f"rows {int(m['rows']):,}  parts {int(m['parts'])}  B/sample {m['bytes_per_sample']:.3f}")


if __name__ == "__main__":
    main()
