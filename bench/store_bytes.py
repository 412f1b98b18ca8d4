"""Bytes per sample on disk for the raw table, after merges, on realistic series.

    .venv/bin/python bench/store_bytes.py [--hosts 20] [--hours 24] [--digits catalog,0,6,4,3]

Series come from bench/store_series.py (derived like /proc counters are). `catalog` rounds
values exactly as the writer does (each metric's precision from poller/catalog.py); the
other settings apply one rule to every metric, `digits[:max decimals]` (0 = keep every
bit), the global rule the writer used before issue 8, for comparison. Each setting gets its
own database in one chDB directory (chDB opens one directory per process); the raw table
is merged with OPTIMIZE FINAL, then bytes_on_disk / rows is read from system.parts (marks,
index and checksums included).
"""

from __future__ import annotations

import argparse
import tempfile
import time

from store_series import CATALOG, host_series

from poller.catalog import METRICS
from poller.precision import Rounder, decimals, significant
from store.db import connect
from store.migrations import migrate
from store.records import POINT_COLUMNS, rounders
from store.settings import StoreSettings

CHUNK_ROWS = 500_000


def one_rule(digits: int, places: int | None) -> Rounder:
    """The former global rule: `digits` significant, at most `places` decimals."""
    sig, dec = significant(digits).apply, decimals(places).apply if places is not None else None
    limit = 10.0 ** (digits - places) if places is not None else 0.0
    return lambda v: dec(v) if dec is not None and -limit < v < limit else sig(v)


def load(settings: StoreSettings, hosts: int, samples: int,
         by_metric: dict[str, Rounder] | Rounder | None) -> int:
    client = connect(settings)
    migrate(client, settings)
    start = int(time.time()) - samples * 10 - 60
    rows, columns = 0, [[], [], [], [], []]  # type: ignore[var-annotated]
    for host in range(hosts):
        for metric, dev, ts, values in host_series(host, samples, start):
            rounder = by_metric.get(metric) if isinstance(by_metric, dict) else by_metric
            if rounder is not None:
                values = [rounder(v) for v in values]
            n = len(values)
            columns[0] += [metric] * n
            columns[1] += [f"host-{host:04d}"] * n
            columns[2] += [dev] * n
            columns[3] += ts
            columns[4] += values
            if len(columns[0]) >= CHUNK_ROWS:
                rows += flush(client, columns)
    rows += flush(client, columns)
    client.command("OPTIMIZE TABLE points FINAL")
    return rows


def flush(client: object, columns: list[list[object]]) -> int:
    n = len(columns[0])
    if n:
        client.insert("points", columns, column_names=POINT_COLUMNS,  # type: ignore[attr-defined]
                      column_oriented=True)
    for c in columns:
        c.clear()
    return n


def measure(settings: StoreSettings) -> dict[str, float]:
    client = connect(settings)
    ((rows, on_disk, parts),) = client.query(
        "SELECT sum(rows), sum(bytes_on_disk), count() FROM system.parts "
        "WHERE database = currentDatabase() AND table = 'points' AND active"
    ).result_rows
    per_column = dict(client.query(
        "SELECT name, sum(data_compressed_bytes) FROM system.columns "
        "WHERE database = currentDatabase() AND table = 'points' GROUP BY name"
    ).result_rows)
    result = {"rows": rows, "parts": parts, "bytes_per_sample": on_disk / rows}
    result.update({f"{k}_B": v / rows for k, v in per_column.items()})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--hours", type=float, default=24)
    parser.add_argument("--digits", default="catalog,0,6,4,4:2,3",
                        help="'catalog', or significant digits[:max decimals] for every "
                             "metric, per run; 0 keeps all")
    args = parser.parse_args()
    samples = int(args.hours * 360)
    root = tempfile.mkdtemp(prefix="sshmon-bytes-")
    print(f"{args.hosts} hosts x {len(CATALOG)} series x {samples} samples; chDB in {root}")
    print(f"{'digits':>7} {'rows':>11} {'parts':>5} {'B/sample':>9} {'value':>7} {'ts':>6} "
          f"{'metric+host+dev':>16}")
    for spec in args.digits.split(","):
        d, _, dec = spec.partition(":")
        by_metric: dict[str, Rounder] | Rounder | None = None
        if d == "catalog":
            by_metric = rounders(METRICS)
        elif int(d):
            by_metric = one_rule(int(d), int(dec) if dec else None)
        settings = StoreSettings(url=f"chdb://{root}", database=f"bytes_{d}_{dec or 'x'}")
        load(settings, args.hosts, samples, by_metric)
        m = measure(settings)
        keys = m["metric_B"] + m["host_B"] + m["dev_B"]
        print(f"{spec if spec != '0' else 'all':>7} {int(m['rows']):>11,} {int(m['parts']):>5} "
              f"{m['bytes_per_sample']:>9.3f} {m['value_B']:>7.3f} {m['ts_B']:>6.3f} "
              f"{keys:>16.3f}")


if __name__ == "__main__":
    main()
