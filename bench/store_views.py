"""What chDB's materialized views cost per insert: the schema's views, or variants of them.

    .venv/bin/python bench/store_views.py --hosts 1000 --flushes 8 [--variant NAME ...]

One embedded store, one database per variant (the same tables as `store.schema`, only the
views differ); each flush inserts `--hosts` polls of the simulator's real capture
(bench/real_polls.py, ~104 points each here; `--synthetic`: tests/api/synth.py's, ~51)
into `points` exactly as the writer does (column-oriented, a de-duplication token),
variants taking turns flush by flush. CPU is the whole process's (chDB inserts and runs the
views on its own threads as well as the calling one), so it includes any background merge
that happens to run meanwhile: medians over `--flushes` (the first, cold, left out).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clickhouse_connect.driver.client import Client

from poller.catalog import METRICS
from store import records
from store.db import connect
from store.migrations import migrate
from store.settings import StoreSettings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import fleet_synth  # noqa: E402
from real_polls import RealPolls  # noqa: E402

synth = fleet_synth.load()

ROLLUP_VIEWS = ("mv_points_5m", "mv_points_1h", "mv_latest")


def _drop(names: tuple[str, ...]) -> Callable[[Client], None]:
    def apply(client: Client) -> None:
        for name in names:
            client.command(f"DROP VIEW IF EXISTS `{name}`")

    return apply


def _only(keep: str) -> Callable[[Client], None]:
    return _drop(tuple(v for v in ROLLUP_VIEWS if v != keep))


def _replace(name: str, target: str, select: str) -> Callable[[Client], None]:
    def apply(client: Client) -> None:
        client.command(f"DROP VIEW IF EXISTS `{name}`")
        client.command(f"CREATE MATERIALIZED VIEW `{name}` TO `{target}` AS {select}")

    return apply


def _both(*steps: Callable[[Client], None]) -> Callable[[Client], None]:
    def apply(client: Client) -> None:
        for step in steps:
            step(client)

    return apply


# The views before issue 15, each with a GROUP BY (store/schema.py says why they lost it).
_GROUPED = (
    "SELECT metric, host, dev, toStartOfInterval(ts, toIntervalSecond({step})) AS ts, "
    "min(value) AS min, max(value) AS max, sum(value) AS sum, count() AS count "
    "FROM points GROUP BY metric, host, dev, ts"
)
_GROUPED_LATEST = (
    "SELECT metric, host, dev, max(p.ts) AS ts, argMax(p.value, p.ts) AS value "
    "FROM points AS p GROUP BY metric, host, dev"
)
# the hourly tier cascaded from the 5-minute one instead of reading raw points
_CASCADE_1H = (
    "SELECT metric, host, dev, toStartOfHour(ts) AS ts, min, max, sum, count FROM points_5m"
)
NO_SETTINGS: dict[str, str] = {}
VARIANTS: dict[str, tuple[Callable[[Client], None], dict[str, str]]] = {
    "schema": (lambda client: None, NO_SETTINGS),
    "grouped": (
        _both(
            _replace("mv_points_5m", "points_5m", _GROUPED.format(step=300)),
            _replace("mv_points_1h", "points_1h", _GROUPED.format(step=3600)),
            _replace("mv_latest", "latest", _GROUPED_LATEST),
        ),
        NO_SETTINGS,
    ),
    "no-views": (_drop(ROLLUP_VIEWS), NO_SETTINGS),
    "only-5m": (_only("mv_points_5m"), NO_SETTINGS),
    "only-1h": (_only("mv_points_1h"), NO_SETTINGS),
    "only-latest": (_only("mv_latest"), NO_SETTINGS),
    "1h-from-5m": (_replace("mv_points_1h", "points_1h", _CASCADE_1H), NO_SETTINGS),
    "parallel-views": (lambda client: None, {"parallel_view_processing": "1"}),
    "one-thread": (lambda client: None, {"max_threads": "1", "max_insert_threads": "1"}),
    "no-dedup": (lambda client: None, {"insert_deduplicate": "0"}),
    "no-optimize-on-insert": (lambda client: None, {"optimize_on_insert": "0"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--flushes", type=int, default=8)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS))
    parser.add_argument("--synthetic", action="store_true", help="tests/api/synth.py's polls")
    parser.add_argument("--capture", type=Path, help="reuse/keep the capture here")
    args = parser.parse_args()
    names = args.variant or list(VARIANTS)
    shapes = [synth.HostShape(f"h{i:05d}") for i in range(args.hosts)]
    rounders = records.rounders(METRICS)
    real = None if args.synthetic else RealPolls(args.capture)
    with tempfile.TemporaryDirectory(prefix="store-views-") as tmp:
        clients: dict[str, Client] = {}
        for name in names:
            settings = StoreSettings(url=f"chdb://{tmp}/db", database="v_" + name.replace("-", "_"))
            client = connect(settings)
            migrate(client, settings)
            VARIANTS[name][0](client)
            clients[name] = client
        times: dict[str, list[float]] = {n: [] for n in names}
        rng = random.Random(3)
        ts = time.time() - 3600
        rows = 0
        for k in range(args.flushes + 1):
            if real is None:
                points = [p for s in shapes for p in synth.poll(s, ts, rng)]
            else:
                points = [p for s in shapes for p in real.poll(s.name, k, ts).points]
            rows = len(points)
            data = records.point_columns(points, rounders)
            for name in names:
                cpu = _insert(clients[name], data, VARIANTS[name][1])
                if k:
                    times[name].append(cpu)
            ts += 10
        base = statistics.median(times[names[0]])
        for name in names:
            med = statistics.median(times[name])
            print(
                f"{name:14} {med * 1000:7.1f} ms a flush of {rows} rows "
                f"({med / args.hosts * 1000:.3f} ms/poll, x{med / base:.2f}); all: "
                + " ".join(f"{t * 1000:.0f}" for t in times[name])
            )
        for client in clients.values():
            client.close()


def _insert(client: Client, data: list[list[Any]], settings: dict[str, str]) -> float:
    started = time.process_time()
    client.insert(
        "points",
        data,
        column_names=records.POINT_COLUMNS,
        column_oriented=True,
        settings={"insert_deduplication_token": uuid.uuid4().hex, **settings},
    )
    return time.process_time() - started


if __name__ == "__main__":
    main()
