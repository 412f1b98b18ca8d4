"""Where a `sshmon run`'s Python time goes, from a py-spy raw profile (`run_bench.py --profile`).

    .venv/bin/python bench/profile_split.py /tmp/prof/this-1.txt [--top 15]

Samples of threads waiting (on a lock, a condition, epoll) are left out; each remaining
stack is put in the first area whose marker it contains, so the order of AREAS matters
(the sink's parts before the poll, which calls the sink). py-spy samples Python threads
only: chDB's own threads (merges, background pools) are in `run_bench.py --threads`.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

IDLE = ("acquire_lock", "cond_wait", "cond_timedwait", "epoll_wait", "select (", "take_gil")
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # first: a pass runs inside whatever allocation triggered it, so it would otherwise be
    # charged to that code (mostly derive's and the parsers' objects)
    ("GC passes", ("gc_collect_main",)),
    ("store: chDB insert (writer thread)", ("Writer._insert",)),
    ("store: point conversion", ("point_columns",)),
    ("store: writer, other", ("Writer._run", "Writer._flush")),
    ("sink: alert engine", ("AlertEngine.observe",)),
    ("sink: hub (overview, sparklines, live)", ("Hub.publish",)),
    ("sink: writer submit", ("Writer.submit", "_Queue.add")),
    ("sink: health counters", ("PollHealth.observe",)),
    ("sink: other", ("_sink.<locals>.sink",)),
    ("poll: parse", ("parse_all",)),
    ("poll: derive", ("derive (",)),
    ("poll: SSH, framing, rest", ("HostPoller",)),
    ("scheduler", ("Scheduler._run",)),
    ("alerts: ticks, persistence", ("alerts/",)),
    ("web app", ("uvicorn", "starlette", "fastapi", "api/")),
    ("asyncssh outside a poll", ("asyncssh",)),
    ("event loop", ("_run_once", "base_events")),
)


def split(path: Path) -> tuple[Counter[str], Counter[str], int]:
    areas: Counter[str] = Counter()
    unplaced: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        if any(w in f for f in frames[-3:] for w in IDLE):
            continue
        n = int(count)
        total += n
        for name, markers in AREAS:
            if any(m in stack for m in markers):
                areas[name] += n
                break
        else:
            areas["other"] += n
            unplaced[";".join(frames[-2:])] += n
    return areas, unplaced, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=0, help="also the N commonest unplaced")
    args = parser.parse_args()
    areas, unplaced, total = split(args.profile)
    print(f"{total} busy samples")
    for name, n in areas.most_common():
        print(f"{n / total * 100:5.1f} %  {name}")
    for frames, n in unplaced.most_common(args.top):
        print(f"{n:6d}  {frames}")


if __name__ == "__main__":
    main()
