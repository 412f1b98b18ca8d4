"""Where the event loop's CPU went, per poll, from a `bench/account` log.

    .venv/bin/python bench/account_split.py FILE [--seconds 60]

FILE is what `run_bench.py --account DIR` (or `PYTHONPATH=bench/account
SSHMON_ACCOUNT=FILE` before `poller_bench.py`) wrote: running totals every 10 s. The
figures are over the last `--seconds` before the final line (which may fall in the
shutdown), per poll (calls of Scheduler._deliver). Nested names overlap: a task's step
includes the poll, the sink and whatever GC pass they triggered.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from typing import Any


def load(path: Path) -> list[dict[str, Any]]:
    return [ast.literal_eval(line) for line in path.read_text().splitlines() if line]


def window(rows: list[dict[str, Any]], seconds: float) -> tuple[dict[str, Any], dict[str, Any]]:
    end = rows[-2] if len(rows) > 2 else rows[-1]
    start = next((r for r in rows if r["t"] >= end["t"] - seconds - 1), rows[0])
    return start, end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    a, b = window(load(args.file), args.seconds)
    key = "sink: all of it (Scheduler._deliver)"
    polls = b["totals"][key][0] - a["totals"].get(key, [0, 0.0])[0]
    if polls <= 0:
        raise SystemExit("no polls in the window")
    us = 1e6 / polls
    main_ms = (b["main"] - a["main"]) / polls * 1e3
    print(f"{b['t'] - a['t']:.0f} s, {polls} polls; event-loop thread {main_ms:.3f} ms/poll")
    gc = {k: (b["gc"][k] - a["gc"][k]) * us for k in b["gc"]}
    print(
        f"  GC passes: {gc['g0'] + gc['g1'] + gc['g2']:.1f} us/poll on all threads, "
        f"{gc['main']:.1f} on the loop's (generation 0 {gc['g0']:.1f}, 1 {gc['g1']:.1f}, "
        f"2 {gc['g2']:.1f})"
    )
    rows = []
    for name, (calls, cpu) in b["totals"].items():
        calls0, cpu0 = a["totals"].get(name, [0, 0.0])
        rows.append(((cpu - cpu0) * us, (calls - calls0) / polls, name))
    for cpu, calls, name in sorted(rows, reverse=True):
        if cpu >= 0.5:
            print(f"  {cpu:7.1f} us/poll  {calls:5.2f} calls/poll  {name}")


if __name__ == "__main__":
    main()
