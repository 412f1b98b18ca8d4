"""Query latency with a fleet's day stored: the store.queries functions, medians of repeats.

    .venv/bin/python bench/store_queries.py [--hosts 2000] [--series 62] [--hours 24]
                                            [--history-hosts 100] [--repeat 15]

Raw data (hosts x series every 10 s) is generated inside the engine (INSERT ... SELECT from
numbers(), hour by hour); the rollup and latest tables are filled with the views' own
SELECTs per hour (see load()).
The year of hourly rollups behind it is generated straight into points_1h for
`--history-hosts` hosts (a full fleet-year is ~1e9 hourly rows, too much to build here).
Times are wall-clock medians of the public query functions, Python row building included;
"engine" is the same SQL with rows only counted, to separate engine from Python cost.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

from store import queries, schema
from store.db import connect
from store.migrations import migrate
from store.settings import StoreSettings

RAW_SQL = """
INSERT INTO points
SELECT concat('metric_', toString(s)) AS metric, concat('host-', leftPad(toString(h), 4, '0'))
       AS host, if(s % 8 = 0, 'eth0', '') AS dev, toDateTime({t0:UInt32} + k * 10) AS ts,
       round(50 + 30 * sin(k / 500 + h) + (cityHash64(h, s, k) % 1000) / 100, 2) AS value
FROM (SELECT number % {hosts:UInt32} AS h, intDiv(number, {hosts:UInt32}) % {series:UInt32}
             AS s, {k0:UInt32} + intDiv(number, {hosts:UInt32} * {series:UInt32}) AS k
      FROM numbers({rows:UInt64}))
"""
HISTORY_SQL = """
INSERT INTO points_1h
SELECT concat('metric_', toString(s)), concat('host-', leftPad(toString(h), 4, '0')),
       if(s % 8 = 0, 'eth0', ''), toDateTime({t0:UInt32} + k * 3600), v - 5, v + 5, v * 360,
       toUInt64(360)
FROM (SELECT number % {hosts:UInt32} AS h, intDiv(number, {hosts:UInt32}) % {series:UInt32}
             AS s, intDiv(number, {hosts:UInt32} * {series:UInt32}) AS k,
             50 + (cityHash64(number) % 3000) / 100 AS v
      FROM numbers({rows:UInt64}))
"""


def load(settings: StoreSettings, hosts: int, series: int, hours: int, history: int) -> float:
    client = connect(settings)
    migrate(client, settings)
    now = int(time.time()) // 3600 * 3600
    t0 = now - hours * 3600
    views = [v for v in schema.views_for(settings) if v.source == "points"]
    # Views fed 1M-row blocks build ~45 partial rows per series-hour, so a fleet-day took
    # over an hour to load; instead the raw rows go in bare and each view's own SELECT fills
    # its table hour by hour: the same aggregates, built in bulk.
    for view in views:
        client.command(f"DETACH TABLE {view.name}")
    for hour in range(hours):
        client.command(RAW_SQL, parameters={"t0": t0, "hosts": hosts, "series": series,
                                            "k0": hour * 360, "rows": hosts * series * 360})
        chunk = f"(SELECT * FROM points WHERE ts >= {t0 + hour * 3600} " \
                f"AND ts < {t0 + (hour + 1) * 3600})"
        for view in views:
            if view.target != "latest" or hour == hours - 1:
                client.command(f"INSERT INTO {view.target} {view.select.format(points=chunk)}")
    for view in views:
        client.command(f"ATTACH TABLE {view.name}")
    start = t0 - 364 * 86_400
    client.command(HISTORY_SQL, parameters={"t0": start, "hosts": history, "series": series,
                                            "rows": history * series * (t0 - start) // 3600})
    for table in ("latest", "points_5m", "points_1h"):  # as background merges would by now
        client.command(f"OPTIMIZE TABLE {table} FINAL")
    return float(now)


def median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    result = fn()  # warm-up: caches and page cache, as on a running server
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=2000)
    p.add_argument("--series", type=int, default=62)
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--history-hosts", type=int, default=100)
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--reuse", help="chDB dir of an earlier run: skip loading")
    a = p.parse_args()
    root = a.reuse or tempfile.mkdtemp(prefix="sshmon-queries-")
    settings = StoreSettings(url=f"chdb://{root}/db")
    t = time.time()
    if a.reuse:
        c = connect(settings)
        now = float(c.command("SELECT toUnixTimestamp(max(ts)) + 10 FROM points"))  # type: ignore[arg-type]
        print(f"reusing {root}")
    else:
        now = load(settings, a.hosts, a.series, a.hours, a.history_hosts)
        print(f"loaded {a.hosts} hosts x {a.series} series x {a.hours} h in "
              f"{time.time() - t:.0f} s (+1 y hourly for {a.history_hosts} hosts); chDB in {root}")
        c = connect(settings)
    host = "host-0007"  # within --history-hosts, so the 30 d and 1 y charts have data
    cases: list[tuple[str, float, Callable[[], object]]] = [
        ("latest for all hosts", 50, lambda: queries.latest_all(c)),
        ("latest for all, columns", 50, lambda: queries.latest_all_columns(c).value),
        ("latest, one host", 50, lambda: queries.latest_host(c, host)),
        ("one host/metric 24 h", 30,
         lambda: queries.series(c, host, "metric_1", None, now - 86_400, now)),
        ("one host/metric 30 d", 50,
         lambda: queries.series(c, host, "metric_1", None, now - 30 * 86_400, now)),
        ("one host/metric 1 y", 100,
         lambda: queries.series(c, host, "metric_1", None, now - 365 * 86_400, now)),
        ("top-10 hosts by CPU, 5 min", 100,
         lambda: queries.top_hosts(c, "metric_1", now - 300, now, n=10)),
        ("summary 30 d", 100,
         lambda: queries.summary(c, host, "metric_1", None, now - 30 * 86_400, now)),
    ]
    print(f"{'query':<32}{'median ms':>10}{'target':>8}  result")
    for name, target, fn in cases:
        ms, result = median_ms(fn, a.repeat)
        size = len(result.points) if hasattr(result, "points") else \
            len(result) if isinstance(result, list) else 1
        print(f"{name:<32}{ms:>10.1f}{target:>8.0f}  {size} rows")
    engine_ms, _ = median_ms(lambda: c.command(
        "SELECT count() FROM (SELECT host, metric, dev, max(ts), argMaxMerge(value) "
        "FROM latest GROUP BY host, metric, dev)"), a.repeat)
    print(f"{'  latest-all, engine only':<32}{engine_ms:>10.1f}")


if __name__ == "__main__":
    main()
