"""Web/API latency with a 2,000-host fleet stored: server-side medians and Chromium paint.

    .venv/bin/python bench/web_api.py [--hosts 2000] [--fleet-every 600] [--detail 3]
                                      [--repeat 15] [--no-browser]

Everything goes in through the real writer (store.writer.Writer) as synthetic but realistic
polls (tests/api/synth.py: daily CPU cycle, modes summing to busy, mounts, disks,
interfaces, TCP, PSI), so the raw table, rollups and `latest` fill as they do in production:

* `--detail` hosts: 24 h at the real 10 s interval, plus a year at one poll per hour (the
  30-day and 1-year charts read the 5-minute and 1-hour rollups these feed);
* the whole fleet (`--hosts`): 24 h, one poll every `--fleet-every` seconds (600 by default:
  a full fleet-day at 10 s is ~1.2e9 rows, about an hour of inserts on a small VM; one-host
  queries read by primary key (metric, host, dev, ts), so the other hosts' density costs
  little; use `--fleet-every 10` on a big machine for the full volume).

Measured in this process through the ASGI app (routing, validation, store queries on the
query pool, JSON encoding; no network): the overview API, one host page's data (all charts,
24 h), a 30-day and a 1-year chart, the overview HTML. Then, unless --no-browser, uvicorn
on loopback and headless Chromium: first contentful paint and "all charts drawn" of a host
page, and the overview page at 2,000 hosts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "api"))
import synth

from api.app import create_app
from api.context import AppContext, QueryPool, WebSettings
from poller.inventory import Host, Inventory
from sshmon.server import serve
from store.db import connect
from store.settings import StoreSettings
from store.writer import Writer

OVERVIEW_PHASES = (
    "overview first byte",
    "overview last byte",
    "overview DOM parsed",
    "overview scripts done (DOMContentLoaded)",
    "overview load event",
)
GROUPS = ("web", "db", "cache", "batch", "edge")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shapes(n: int) -> list[synth.HostShape]:
    return [
        synth.HostShape(f"host-{i:04d}", base_cpu=5 + (i * 37) % 60, cpus=2 + 2 * (i % 8))
        for i in range(n)
    ]


BATCH_ROWS = 50_000  # the writer's batch_rows below: reaching it wakes the writer at once


def submit(writer: Writer, points: list[synth.Point], backlog: int = BATCH_ROWS) -> None:
    # Keep batches small and in time order: the writer takes everything queued as one batch,
    # and a batch spanning more than 100 days would hit ClickHouse's partitions-per-insert
    # limit (raw is partitioned by day); production batches span seconds, not months.
    writer.submit(points)
    while writer.stats().queued_rows > backlog:
        time.sleep(0.005)


def load(settings: StoreSettings, fleet: list[synth.HostShape], every: int, detail: int) -> float:
    now = float(int(time.time()))
    writer = Writer(settings)
    writer.start()
    started = time.perf_counter()
    rows = 0
    for shape in fleet[:detail]:
        for points in synth.history(shape, now - 365 * 86400, now - 86400, 3600):
            submit(writer, points)
            rows += len(points)
        for points in synth.history(shape, now - 86400, now, 10):
            submit(writer, points)
            writer.submit_status(synth.status(shape, points[0].ts))
            rows += len(points)
    for shape in fleet[detail:]:
        for points in synth.history(shape, now - 86400, now, every):
            submit(writer, points)
            rows += len(points)
        writer.submit_status(synth.status(shape, now - every))
    for shape in fleet:
        writer.submit_host_info(synth.info(shape, now))
    writer.close(600)
    took = time.perf_counter() - started
    print(
        f"loaded {rows:,} points through the writer in {took:.0f} s ({rows / took:,.0f}/s); "
        f"writer: {writer.stats()}"
    )
    return now


async def timed(client: httpx.AsyncClient, url: str, repeat: int) -> tuple[float, int]:
    for _ in range(2):  # warm-up: first query per thread opens its store client
        r = await client.get(url)
        r.raise_for_status()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = await client.get(url)
        times.append(time.perf_counter() - t)
        r.raise_for_status()
    return statistics.median(times) * 1000, len(r.content)


async def server_side(ctx: AppContext, host: str, repeat: int) -> None:
    app = create_app(ctx)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            t = time.perf_counter()
            while len((await client.get("/api/v1/sparklines")).json()["hosts"]) < len(
                ctx.inventory.hosts
            ):
                await asyncio.sleep(0.2)
            print(
                f"sparklines seeded from the store for {len(ctx.inventory.hosts)} hosts "
                f"in {time.perf_counter() - t:.1f} s (background, after start-up)"
            )
            cases = [
                ("overview API (/api/v1/hosts)", "/api/v1/hosts", 100),
                ("host page data, all charts, 24 h", f"/api/v1/hosts/{host}/charts?range=24h", 150),
                (
                    "30-day chart (one series)",
                    f"/api/v1/series?host={host}&metric=cpu_busy_percent&range=30d",
                    150,
                ),
                (
                    "1-year chart (one series)",
                    f"/api/v1/series?host={host}&metric=cpu_busy_percent&range=1y",
                    300,
                ),
                (
                    "host page data, all charts, 30 d",
                    f"/api/v1/hosts/{host}/charts?range=30d",
                    None,
                ),
                ("host page data, all charts, 1 y", f"/api/v1/hosts/{host}/charts?range=1y", None),
                ("overview HTML (/)", "/", None),
                ("host page HTML", f"/hosts/{host}", None),
            ]
            print("\n| request | median ms | target ms | bytes |\n|---|---|---|---|")
            for name, url, target in cases:
                ms, size = await timed(client, url, repeat)
                print(f"| {name} | {ms:.1f} | {target or '-'} | {size:,} |")


def browser(ctx: AppContext, host: str, repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    settings = WebSettings(port=18181)
    loop = asyncio.new_event_loop()
    stop: dict[str, asyncio.Event] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        stop["e"] = asyncio.Event()
        loop.run_until_complete(serve(create_app(ctx), settings, stop["e"]))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(2)
    base = f"http://127.0.0.1:{settings.port}"
    paint = """() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        results: dict[str, list[float]] = {
            "host FCP": [],
            "host all charts": [],
            "overview FCP": [],
            "overview load": [],
        }
        for i in range(repeat + 1):
            page = b.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{base}/hosts/{host}?range=24h")
            page.wait_for_function(
                "() => document.querySelectorAll('#charts canvas').length >= 10", timeout=30_000
            )
            charts = page.evaluate("() => performance.now()")
            fcp = page.evaluate(paint)
            page.goto(f"{base}/")
            page.wait_for_load_state("load")
            ov_fcp = page.evaluate(paint)
            nav = page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " return [n.responseStart, n.responseEnd, n.domInteractive,"
                " n.domContentLoadedEventEnd, n.loadEventEnd]; }"
            )
            ov_load = nav[-1]
            page.context.close()
            if i:  # the first run warms caches on both sides
                results["host FCP"].append(fcp)
                results["host all charts"].append(charts)
                results["overview FCP"].append(ov_fcp)
                results["overview load"].append(ov_load)
                for key, value in zip(OVERVIEW_PHASES, nav, strict=True):
                    results.setdefault(key, []).append(value)
        b.close()
    print("\n| Chromium, loopback | median ms | target ms |\n|---|---|---|")
    targets = {"host FCP": 1000, "overview load": 1000}
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.0f} | {targets.get(name, '-')} |")
    loop.call_soon_threadsafe(stop["e"].set)
    thread.join(30)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--fleet-every", type=int, default=600)
    ap.add_argument("--detail", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    fleet = shapes(args.hosts)
    with tempfile.TemporaryDirectory() as tmp:
        settings = StoreSettings(
            url=f"chdb://{tmp}/db", spool_dir=Path(tmp) / "spool", batch_rows=BATCH_ROWS
        )
        load(settings, fleet, args.fleet_every, args.detail)
        hosts = tuple(
            Host(
                name=s.name,
                address=f"10.{i // 250}.{i % 250}.1",
                groups=(GROUPS[i % 5],),
                labels=(("env", "prod" if i % 3 else "staging"),),
            )
            for i, s in enumerate(fleet)
        )
        pool = QueryPool(lambda: connect(settings), threads=4)
        ctx = AppContext(
            settings=WebSettings(),
            queries=pool,
            inventory=Inventory(path=Path("bench.yaml"), hosts=hosts),
            data_dir=Path(tmp),
        )
        asyncio.run(server_side(ctx, fleet[0].name, args.repeat))
        if not args.no_browser:
            browser(ctx, fleet[0].name, min(args.repeat, 5))
        pool.close()


if __name__ == "__main__":
    main()
