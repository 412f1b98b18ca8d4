"""Merge soak: a real `sshmon run` polling N simulated hosts, watched from outside every minute.

    nice -n 19 .venv/bin/python bench/merge_soak.py --hosts 100 --interval 2 --minutes 120

What it prints, one line a minute (and a CSV with --csv FILE):
- cpu s/min: CPU of the whole `sshmon run` process (poller, writer, web and the embedded
  chDB engine with its background merges), from /proc/PID/stat;
- merge s/min: the part of it spent in chDB's merge threads (thread names from
  /proc/PID/task/*/comm; ClickHouse names them `MergeMutate`);
- points parts active/old, max level: part directories of the raw `points` table on disk.
  A part is "old" when another part of its partition covers its block range (merged away
  but not yet deleted); the level is the last field of the part name (how many merges
  produced it);
- store MiB: bytes under the chDB directory (active and old parts of every table);
- k rows/min: raw points stored in the minute (from the active parts' count.txt), and CPU
  ms per 1,000 of them: on a shared machine a starved poller polls less, and CPU per
  minute then falls with the work, so the per-row figure is the one to compare.

Summary at the end: CPU per minute at minute 10 against the last minutes (flat is within
±20 %), and the old parts left. Reads the engine's files without opening it: chDB allows
one process per directory (store/db.py), and that process is the one being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from poller_bench import sim_target

from poller.inventory import Host

SSHMON = Path(sys.executable).with_name("sshmon")
TICKS = os.sysconf("SC_CLK_TCK")
PART = re.compile(r"^(?P<partition>.+)_(?P<min>\d+)_(?P<max>\d+)_(?P<level>\d+)(?:_\d+)?$")
UUID_IN_SQL = re.compile(r"UUID '([0-9a-f-]{36})'")


@dataclass
class Sample:
    minute: int
    cpu_s: float
    merge_cpu_s: float
    points_active: int
    points_old: int
    points_max_level: int
    all_old: int
    store_mib: float
    rows: int


def thread_cpu(pid: int) -> dict[int, tuple[str, float]]:
    """Thread id -> (name, CPU seconds) of the process's live threads."""
    out: dict[int, tuple[str, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the thread ended between listing and reading
        # fields after the name: state is [0], utime [11], stime [12]
        out[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return out


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def table_dirs(chdb: Path, database: str) -> dict[str, Path]:
    """Table name -> data directory, from the Atomic database's metadata files."""
    found: dict[str, Path] = {}
    for sql in (chdb / "metadata" / database).glob("*.sql"):
        match = UUID_IN_SQL.search(sql.read_text(errors="replace"))
        if match:
            uuid = match.group(1)
            found[sql.stem] = chdb / "store" / uuid[:3] / uuid
    return found


def active_rows(directory: Path) -> int:
    """Rows in the active parts (count.txt of each part not covered by another)."""
    seen = _parts(directory)
    total = 0
    for p in seen:
        if not _covered(p, seen):
            with contextlib.suppress(OSError, ValueError):  # merged away meanwhile
                total += int((directory / p[4] / "count.txt").read_text())
    return total


def _covered(p: tuple[str, int, int, int, str], seen: list[tuple[str, int, int, int, str]]
             ) -> bool:
    return any(q != p and q[0] == p[0] and q[1] <= p[1] and q[2] >= p[2] for q in seen)


def _parts(directory: Path) -> list[tuple[str, int, int, int, str]]:
    seen = []
    for entry in directory.iterdir() if directory.is_dir() else ():
        match = PART.match(entry.name)
        if match and entry.is_dir():
            seen.append((match["partition"], int(match["min"]), int(match["max"]),
                         int(match["level"]), entry.name))
    return seen


def parts(directory: Path) -> tuple[int, int, int]:
    """(active, old, max level) of the part directories in one table directory."""
    seen = _parts(directory)
    old = sum(1 for p in seen if _covered(p, seen))
    return len(seen) - old, old, max((p[3] for p in seen), default=0)


def du_mib(path: Path) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total / 2**20


def inventory(
    tmp: Path, hosts: Sequence[Host], known: Path, flush_interval: float | None = None
) -> Path:
    path = tmp / "inventory.yaml"
    lines = [f"poller:\n  data_dir: {tmp / 'data'}\n  known_hosts: {known}\n"]
    if flush_interval is not None:
        lines.append(f"database:\n  flush_interval_s: {flush_interval}\n")
    lines.append("hosts:\n")
    for h in hosts:
        lines.append(f"  {h.name}:\n    address: {h.address}\n    port: {h.port}\n"
                     f"    user: bench\n    interval: {h.interval}\n")
    path.write_text("".join(lines))
    return path


async def soak(args: argparse.Namespace) -> list[Sample]:
    with tempfile.TemporaryDirectory(prefix="merge-soak-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with sim_target(tmp, args.hosts, args.interval) as target:
            inv = inventory(tmp, target.hosts, target.known_hosts, args.flush_interval)
            log = (tmp / "run.log").open("w")
            proc = subprocess.Popen(
                [str(SSHMON), "run", "-i", str(inv), "--no-web", "--log-level", "warning"],
                stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                return await _watch(proc, tmp / "data" / "db", args)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=120)
                log.close()
                print((tmp / "run.log").read_text()[-2000:], file=sys.stderr)


async def _watch(proc: subprocess.Popen[bytes], chdb: Path, args: argparse.Namespace
                 ) -> list[Sample]:
    pid = proc.pid
    samples: list[Sample] = []
    cpu0, merge0 = process_cpu(pid), _merge_cpu(pid)
    print("minute  cpu s/min  merge s/min  points active/old  max level  all old  store MiB"
          "  k rows/min  cpu ms/k rows", flush=True)
    rows0 = 0
    for minute in range(1, args.minutes + 1):
        await asyncio.sleep(60)
        if proc.poll() is not None:
            print("sshmon run ended early; see its log below", flush=True)
            break
        cpu1, merge1 = process_cpu(pid), _merge_cpu(pid)
        dirs = table_dirs(chdb, "sshmon")
        active, old, level = parts(dirs["points"]) if "points" in dirs else (0, 0, 0)
        all_old = sum(parts(d)[1] for d in dirs.values())
        rows1 = active_rows(dirs["points"]) if "points" in dirs else 0
        s = Sample(minute, cpu1 - cpu0, merge1 - merge0, active, old, level, all_old,
                   du_mib(chdb), rows1 - rows0)
        cpu0, merge0, rows0 = cpu1, merge1, rows1
        samples.append(s)
        per_k = s.cpu_s * 1e6 / s.rows if s.rows > 0 else float("nan")
        print(f"{s.minute:>6}  {s.cpu_s:>9.1f}  {s.merge_cpu_s:>11.1f}  "
              f"{s.points_active:>10}/{s.points_old:<6}  {s.points_max_level:>9}  "
              f"{s.all_old:>7}  {s.store_mib:>9.1f}  {s.rows / 1000:>10.0f}  {per_k:>12.1f}",
              flush=True)
    return samples


_MERGE_SEEN: dict[int, float] = {}  # thread id -> CPU last seen: keeps ended threads' share


def _merge_cpu(pid: int) -> float:
    # merge threads come and go: CPU of a thread that ended after its last sample is lost,
    # so this is a lower bound; the process total is exact
    for tid, (name, cpu) in thread_cpu(pid).items():
        if "Merge" in name:
            _MERGE_SEEN[tid] = cpu
    return sum(_MERGE_SEEN.values())


def summary(samples: list[Sample]) -> str:
    if len(samples) < 12:
        return "too short for a verdict (needs 12 minutes or more)"
    ref = samples[9]
    tail = samples[-3:]
    late = sum(s.cpu_s for s in tail) / len(tail)
    change = (late - ref.cpu_s) / ref.cpu_s * 100 if ref.cpu_s else float("nan")
    verdict = "flat" if abs(change) <= 20 else "NOT flat"
    ref_k = ref.cpu_s * 1e6 / ref.rows if ref.rows else float("nan")
    tail_rows = sum(s.rows for s in tail)
    late_k = sum(s.cpu_s for s in tail) * 1e6 / tail_rows if tail_rows else float("nan")
    return (f"CPU at minute 10: {ref.cpu_s:.1f} s/min; last 3 minutes: {late:.1f} s/min "
            f"({change:+.0f} %, {verdict}); per 1,000 rows {ref_k:.1f} -> {late_k:.1f} ms "
            f"({(late_k - ref_k) / ref_k * 100:+.0f} %); old parts at the end: "
            f"{samples[-1].all_old}; points max level {samples[-1].points_max_level}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--minutes", type=int, default=120)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument(
        "--flush-interval", type=float, default=None,
        help="the writer's flush_interval_s for this run (default: the shipped setting)",
    )
    args = parser.parse_args()
    # `kill PID` (background jobs ignore SIGINT) still stops sshmon run and the simulator:
    # asyncio.run cancels the soak, whose finally blocks do that
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    samples = asyncio.run(soak(args))
    if args.csv is not None:
        with args.csv.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(asdict(samples[0])))
            writer.writeheader()
            writer.writerows(asdict(s) for s in samples)
    print(summary(samples))


if __name__ == "__main__":
    main()
