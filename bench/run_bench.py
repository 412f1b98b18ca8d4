"""All-in benchmark: a real `sshmon run` (poller, embedded store, alerts, web) against N
simulated hosts, measured from outside.

    nice .venv/bin/python bench/run_bench.py --hosts 500 --interval 10 --seconds 60 --runs 3
    # before/after in one series, alternated: another tree (`git archive REV | tar -x -C DIR`)
    nice .venv/bin/python bench/run_bench.py --hosts 500 --tree before=/tmp/b9690fc --tree after=.
    # 1 against 2 poller processes (needs `sshmon run --workers`)
    nice .venv/bin/python bench/run_bench.py --hosts 1000 --workers 1,2

Each run starts the simulator of `poller_bench.py` (one asyncssh server process answering
with a recorded capture of this machine), then `sshmon run -i INV --listen 127.0.0.1:PORT`
with the embedded chDB store in a fresh directory. It waits until every host has answered
once (the connect storm), then `--warmup` seconds, then measures over `--seconds`:

- CPU ms per poll: CPU of the whole `sshmon run` process tree (every thread: event loop,
  writer, chDB's insert/merge pools, uvicorn; every descendant process, reaped ones
  included) from /proc, divided by the polls made in the window; split by thread for the
  parent process (see `group_of`);
- polls made / scheduled: `sshmon_polls_total` in the window against hosts x window /
  interval;
- p99 poll latency and schedule lag, from the `sshmon_poll_duration_seconds` and
  `sshmon_poll_schedule_lag_seconds` histograms (upper bucket bound, interpolated inside);
- RSS of the process tree at the end of the window, minus the same tree run with 0 hosts
  (`--no-baseline` skips that run), per host;
- connect storm: seconds from the launch to every host answered (store migrations and the
  web start included; launch to the first answer is printed too).

/metrics is read just before the window's first CPU reading and just after its last, so
rendering it is not counted. Configurations (`--tree` x `--workers`) alternate within each
round; the medians over `--runs` rounds are printed at the end, per configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from poller_bench import sim_target

from poller.inventory import Host

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
STARTUP_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Setup:
    label: str
    tree: Path
    workers: int | None  # None: the option is not passed (a tree without --workers)

    @property
    def name(self) -> str:
        return self.label if self.workers is None else f"{self.label} w{self.workers}"


@dataclass
class Scrape:
    polls: float
    up: int
    duration: list[tuple[float, float]]  # (upper bound, cumulative count)
    lag: list[tuple[float, float]]


# -- /proc readings ------------------------------------------------------------------------


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class TreeCpu:
    """CPU seconds of a process tree whose members may come and go (restarted workers):
    each process's own and its reaped children's times, the last value seen kept."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.seen: dict[int, float] = {}

    def total(self) -> float:
        for proc in tree(self.pid):
            with contextlib.suppress(psutil.NoSuchProcess):
                t = proc.cpu_times()
                self.seen[proc.pid] = t.user + t.system + t.children_user + t.children_system
        return sum(self.seen.values())


def threads(pid: int) -> dict[int, tuple[str, float]]:
    """Thread id -> (name, CPU seconds) of one process's live threads."""
    out: dict[int, tuple[str, float]] = {}
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                name = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            out[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return out


PYTHON_COMM = Path(sys.executable).resolve().name[:15]


def group_of(pid: int, tid: int, name: str) -> str:
    """main: the event loop (poller, sink, alerts, web); py: Python's other threads (the store
    writer, whose chDB inserts run on it, the query pool, to_thread); merges: chDB's merge
    threads; chdb: chDB's other named threads. Python 3.11 does not name its threads, so
    they all keep the executable's name."""
    if tid == pid:
        return "main"
    if name == PYTHON_COMM or name.startswith(("python", "asyncio")):
        return "py"
    if "Merge" in name:
        return "merges"
    return "chdb"


def thread_split(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], pid: int
) -> dict[str, float]:
    """CPU seconds per thread group between two readings (threads that ended in between
    are lost: a lower bound for "merges" and "other"; the tree total is exact)."""
    out = {"main": 0.0, "py": 0.0, "merges": 0.0, "chdb": 0.0}
    for tid, (name, cpu) in after.items():
        out[group_of(pid, tid, name)] += cpu - before.get(tid, (name, 0.0))[1]
    return out


def rss_bytes(pid: int) -> int:
    total = 0
    for proc in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += proc.memory_info().rss
    return total


# -- the web app ---------------------------------------------------------------------------


def get(url: str, timeout: float = 60.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
    return body.decode()


def scrape(base: str) -> Scrape:
    polls, up = 0.0, 0
    duration: list[tuple[float, float]] = []
    lag: list[tuple[float, float]] = []
    for line in get(base + "metrics").splitlines():
        if line.startswith("sshmon_polls_total{"):
            polls += float(line.rpartition(" ")[2])
        elif line.startswith("sshmon_host_up{"):
            up += float(line.rpartition(" ")[2]) == 1.0
        elif line.startswith(
            ("sshmon_poll_duration_seconds_bucket{", "sshmon_poll_schedule_lag_seconds_bucket{")
        ):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            pair = (float(le), float(line.rpartition(" ")[2]))
            (duration if line.startswith("sshmon_poll_duration") else lag).append(pair)
    return Scrape(polls, up, duration, lag)


def quantile(
    q: float, before: list[tuple[float, float]], after: list[tuple[float, float]]
) -> float:
    """Prometheus' histogram_quantile over the window: linear inside the bucket."""
    if not after:
        return float("nan")  # a tree whose /metrics has no such histogram
    counts = [
        (le, a - b) for (le, a), (_, b) in zip(after, before or [(0, 0)] * len(after), strict=True)
    ]
    total = counts[-1][1]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower_le, lower_n = 0.0, 0.0
    for le, n in counts:
        if n >= rank:
            if le == float("inf"):
                return lower_le
            return lower_le + (le - lower_le) * (rank - lower_n) / max(n - lower_n, 1e-9)
        lower_le, lower_n = le, n
    return float("nan")


def answered(base: str) -> int:
    import json

    with contextlib.suppress(OSError, ValueError):
        hosts = json.loads(get(base + "api/v1/hosts"))
        return sum(1 for h in hosts if h.get("state") == "ok")
    return 0


# -- one run -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def inventory(tmp: Path, hosts: Sequence[Host], known: Path) -> Path:
    path = tmp / "inventory.yaml"
    lines = [f"poller:\n  data_dir: {tmp / 'data'}\n  known_hosts: {known}\n", "hosts:\n"]
    if not hosts:
        lines[-1] = "hosts: {}\n"
    for h in hosts:
        lines.append(
            f"  {h.name}:\n    address: {h.address}\n    port: {h.port}\n"
            f"    user: bench\n    interval: {h.interval}\n"
            f"    slow_every: {h.slow_every}\n"
        )
    path.write_text("".join(lines))
    return path


@contextlib.contextmanager
def sshmon_run(
    setup: Setup, tmp: Path, inv: Path, port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`sshmon run` from `setup.tree` (`env`: the whole environment, else ours with the
    tree on PYTHONPATH), logging to tmp/run.log; SIGTERM and a wait at the end."""
    cmd = [
        sys.executable,
        "-c",
        "from sshmon.cli import main; main()",
        "run",
        "-i",
        str(inv),
        "--listen",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    if setup.workers is not None:
        cmd += ["--workers", str(setup.workers)]
    if env is None:
        env = {**os.environ, "PYTHONPATH": str(setup.tree)}
    log = (tmp / "run.log").open("w")
    proc = subprocess.Popen(cmd, cwd=setup.tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def wait_web(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"sshmon run ended at start:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            get(base + "api/v1/hosts", timeout=5)
            return
        time.sleep(0.5)
    raise SystemExit("the web app did not answer")


async def baseline_rss(setup: Setup) -> float:
    """RSS of `sshmon run` with no hosts, after it has settled."""
    with tempfile.TemporaryDirectory(prefix="run-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        inv = inventory(tmp, [], tmp / "known_hosts")
        port = free_port()
        with sshmon_run(setup, tmp, inv, port) as proc:
            wait_web(f"http://127.0.0.1:{port}/", proc, tmp / "run.log")
            await asyncio.sleep(10)
            return rss_bytes(proc.pid)


def account_env(setup: Setup, log: Path) -> dict[str, str]:
    """`sshmon run`'s environment with bench/account first on the path: its sitecustomize
    charges the event loop's CPU to callbacks, functions and GC passes (account_split.py)."""
    path = f"{ROOT / 'bench' / 'account'}{os.pathsep}{setup.tree}"
    return {**os.environ, "PYTHONPATH": path, "SSHMON_ACCOUNT": str(log)}


async def run_once(
    setup: Setup, args: argparse.Namespace, profile: Path | None, account: Path | None = None
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="run-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        async with sim_target(tmp, args.hosts, args.interval) as target:
            hosts = [h.model_copy(update={"slow_every": args.slow_every}) for h in target.hosts]
            inv = inventory(tmp, hosts, target.known_hosts)
            port = free_port()
            base = f"http://127.0.0.1:{port}/"
            launched = time.monotonic()
            env = account_env(setup, account) if account is not None else None
            with sshmon_run(setup, tmp, inv, port, env) as proc:
                wait_web(base, proc, tmp / "run.log")
                first = None
                while (n := await asyncio.to_thread(answered, base)) < args.hosts:
                    if n and first is None:
                        first = time.monotonic() - launched
                    if proc.poll() is not None or time.monotonic() - launched > STARTUP_TIMEOUT_S:
                        raise SystemExit(
                            f"hosts never all answered ({n}/{args.hosts}):\n"
                            + (tmp / "run.log").read_text()[-3000:]
                        )
                    await asyncio.sleep(2.0)  # the host list is 1.5 MB at 5,000 hosts
                storm = time.monotonic() - launched
                await asyncio.sleep(args.warmup)
                return await _window(proc.pid, base, args, profile, storm, first or storm)


async def _window(
    pid: int, base: str, args: argparse.Namespace, profile: Path | None, storm: float, first: float
) -> dict[str, float]:
    cpu = TreeCpu(pid)
    # the poll counters are read when a request starts; rendering the rest takes a while
    r0 = time.monotonic()
    s0 = await asyncio.to_thread(scrape, base)
    t0, th0, w0 = cpu.total(), threads(pid), time.monotonic()
    spy = None
    if profile is not None:
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--native",
                "-p",
                str(pid),
                "-d",
                str(int(args.seconds)),
                "-f",
                "raw",
                "-o",
                str(profile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    await asyncio.sleep(args.seconds)
    t1, th1, w1 = cpu.total(), threads(pid), time.monotonic()
    rss = rss_bytes(pid)
    r1 = time.monotonic()
    s1 = await asyncio.to_thread(scrape, base)
    if spy is not None:
        spy.wait()
    wall = w1 - w0
    # polls in the CPU window: the rate between the two scrapes over the window's length
    polls = max(1.0, (s1.polls - s0.polls) / (r1 - r0) * wall)
    split = thread_split(th0, th1, pid)
    if args.threads:
        by_name: dict[str, float] = {}
        for tid, (name, c) in th1.items():
            key = "main" if tid == pid else name
            by_name[key] = by_name.get(key, 0.0) + c - th0.get(tid, (name, 0.0))[1]
        print(
            "  CPU s by thread name: "
            + ", ".join(
                f"{k} {v:.2f}" for k, v in sorted(by_name.items(), key=lambda kv: -kv[1]) if v > 0
            ),
            flush=True,
        )
    out = {
        "polls": polls,
        "made_pct": polls / (args.hosts * wall / args.interval) * 100,
        "cpu_ms_per_poll": (t1 - t0) / polls * 1000,
        "cpu_share_pct": (t1 - t0) / wall * 100,
        "latency_p99_ms": quantile(0.99, s0.duration, s1.duration) * 1000,
        "lag_p99_ms": quantile(0.99, s0.lag, s1.lag) * 1000,
        "rss_mib": rss / 2**20,
        "storm_s": storm,
        "first_s": first,
    }
    for group, seconds in split.items():
        out[f"{group}_ms_per_poll"] = seconds / polls * 1000
    return out


# -- series --------------------------------------------------------------------------------


def line(stats: dict[str, float], per_host_kb: float | None) -> str:
    mem = f", {per_host_kb:.0f} KB/host over 0 hosts" if per_host_kb is not None else ""
    return (
        f"CPU {stats['cpu_ms_per_poll']:.3f} ms/poll ({stats['cpu_share_pct']:.0f}% of a core; "
        f"main {stats['main_ms_per_poll']:.3f}, py threads {stats['py_ms_per_poll']:.3f}, "
        f"merges {stats['merges_ms_per_poll']:.3f}, chdb {stats['chdb_ms_per_poll']:.3f}), "
        f"polls {stats['polls']:.0f} = {stats['made_pct']:.1f}% of scheduled, "
        f"latency p99 {stats['latency_p99_ms']:.0f} ms, lag p99 {stats['lag_p99_ms']:.0f} ms, "
        f"RSS {stats['rss_mib']:.0f} MiB{mem}, "
        f"all answered {stats['storm_s']:.1f} s after launch (first {stats['first_s']:.1f} s)"
    )


def setups(args: argparse.Namespace) -> list[Setup]:
    trees = []
    for spec in args.tree or [f"this={ROOT}"]:
        label, sep, path = spec.partition("=")
        if not sep:
            raise SystemExit(f"--tree wants LABEL=DIR, got {spec!r}")
        trees.append((label, Path(path).resolve()))
    workers: list[int | None] = (
        [int(w) for w in args.workers.split(",")] if args.workers else [None]
    )
    return [Setup(label, path, w) for label, path in trees for w in workers]


async def main_async(args: argparse.Namespace) -> None:
    series = setups(args)
    base_rss: dict[str, float] = {}
    if not args.no_baseline:
        for setup in series:
            base_rss[setup.name] = await baseline_rss(setup)
            print(f"{setup.name}: 0 hosts RSS {base_rss[setup.name] / 2**20:.0f} MiB", flush=True)
    results: dict[str, list[dict[str, float]]] = {s.name: [] for s in series}
    for round_ in range(args.runs):
        # alternate, and reverse every other round so no setup always runs first
        order = series if round_ % 2 == 0 else series[::-1]
        for setup in order:
            profile = account = None
            stem = f"{setup.name.replace(' ', '-')}-{round_ + 1}.txt"
            if args.profile is not None:
                args.profile.mkdir(parents=True, exist_ok=True)
                profile = args.profile / stem
            if args.account is not None:
                args.account.mkdir(parents=True, exist_ok=True)
                account = args.account / stem
            stats = await run_once(setup, args, profile, account)
            kb = _per_host_kb(stats, base_rss.get(setup.name), args.hosts)
            if kb is not None:
                stats["kb_per_host"] = kb
            results[setup.name].append(stats)
            print(f"round {round_ + 1} {setup.name}: {line(stats, kb)}", flush=True)
    print(
        f"medians of {args.runs} ({args.hosts} hosts x {args.interval:g} s, "
        f"{args.seconds:g} s windows):"
    )
    for name, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"  {name}: {line(med, med.get('kb_per_host'))}")


def _per_host_kb(stats: dict[str, float], base: float | None, hosts: int) -> float | None:
    if base is None or hosts == 0:
        return None
    return (stats["rss_mib"] * 2**20 - base) / hosts / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window")
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="after every host answered; default 2 intervals + 10 s (the GC "
        "policy settles one interval + connect timeout after the start)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-every", type=int, default=12, help="the default of `sshmon run`")
    parser.add_argument(
        "--workers",
        default=None,
        help="comma-separated: `sshmon run --workers N` per configuration",
    )
    parser.add_argument(
        "--tree",
        action="append",
        metavar="LABEL=DIR",
        help="run sshmon from this source tree (repeat to alternate trees)",
    )
    parser.add_argument(
        "--threads",
        action="store_true",
        help="print the window's CPU per thread name of the parent process",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the 0-host RSS run")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="py-spy record --native the parent process over each window "
        "(raw collapsed stacks; costs CPU: not for the figures)",
    )
    parser.add_argument(
        "--account",
        type=Path,
        default=None,
        metavar="DIR",
        help="charge the event loop's CPU to callbacks, functions and GC passes "
        "(bench/account; ~1 %% overhead), one log per run: bench/account_split.py FILE",
    )
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = 2 * args.interval + 10
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
