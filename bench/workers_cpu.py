"""CPU per poll of the whole `sshmon run` process tree, --workers 1 against --workers N.

    .venv/bin/python bench/workers_cpu.py --hosts 1000 --interval 10 --seconds 60 --repeat 3

One simulator (bench/sim_server.py, as `poller_bench.py --mode sim`) serves every run; the
runs alternate 1, N, 1, N, … Each run is the real `sshmon run` (poller workers, writer into
the embedded store, alert engine, web app listening) on a fresh data directory. After every
host has answered and one more interval has passed, the CPU of the owner and every worker
(user + system from /proc, chDB's threads included: they are the owner's) is read over
`--seconds`; the polls made in that window are counted in the store afterwards. Printed per
run and as medians: ms of CPU per poll (tree, owner, workers) and polls made per second.

Also `--rss`: the resident set of the owner and of each worker with 0 hosts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from poller_bench import sim_target  # noqa: E402

SSHMON = Path(sys.executable).with_name("sshmon")

COUNT = """
import json, sys
from store import db
from store.settings import StoreSettings
client = db.connect(StoreSettings(url="chdb://" + sys.argv[1]))
q = "SELECT count() FROM poll_status WHERE ts >= toDateTime({a}) AND ts < toDateTime({b})"
a, b = (int(float(x)) for x in sys.argv[2:4])
print(client.query(q.format(a=a, b=b)).result_rows[0][0])
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def inventory(path: Path, data: Path, hosts: list[dict[str, object]]) -> None:
    lines = [
        f"poller:\n  data_dir: {data}\nhosts:\n" if hosts else f"poller:\n  data_dir: {data}\n"
    ]
    for h in hosts:
        lines.append(
            f"  {h['name']}:\n    address: {h['address']}\n    port: {h['port']}\n"
            f"    user: bench\n    interval: {h['interval']}s\n    slow_every: {h['slow_every']}\n"
        )
    path.write_text("".join(lines))


def tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def cpu(procs: list[psutil.Process]) -> dict[int, float]:
    out = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system + t.children_user + t.children_system
        except psutil.NoSuchProcess:
            pass
    return out


def get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        return str(r.read().decode())


def start(
    tmp: Path, hosts: list[dict[str, object]], workers: int, known: str = ""
) -> tuple[subprocess.Popen[bytes], int, Path]:
    data = tmp / "data"
    data.mkdir()
    (data / "known_hosts").write_text(known)
    inv = tmp / "inventory.yaml"
    inventory(inv, data, hosts)
    port = free_port()
    log = (tmp / "run.log").open("w")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    proc = subprocess.Popen(
        [
            str(SSHMON),
            "run",
            "-i",
            str(inv),
            "--listen",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    return proc, port, data


def wait_ready(proc: subprocess.Popen[bytes], port: int, n: int, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "sshmon run exited"
        try:
            hosts = json.loads(get(port, "/api/v1/hosts"))
            if sum(h["state"] == "ok" for h in hosts) >= n:
                return
        except OSError:
            pass
        time.sleep(2)
    raise TimeoutError("not every host answered")


def one_run(
    tmp: Path, hosts: list[dict[str, object]], workers: int, args: argparse.Namespace, known: str
) -> dict[str, float]:
    proc, port, data = start(tmp, hosts, workers, known)
    try:
        wait_ready(proc, port, len(hosts), 300)
        # past the connect storm, the first slow round and the GC freeze (interval + 10 s)
        time.sleep(args.interval + 12)
        procs = tree(proc.pid)
        before, t0 = cpu(procs), time.time()
        time.sleep(args.seconds)
        after, t1 = cpu(procs), time.time()
        rss = {p.pid: p.memory_info().rss for p in procs if p.is_running()}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    # poll_status keeps whole seconds: count the whole seconds inside the window
    first, last = math.ceil(t0), math.floor(t1)
    counted = subprocess.run(
        [sys.executable, "-c", COUNT, str(data / "db"), str(first), str(last)],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = int(counted.stdout) / (last - first)
    owner = (after[proc.pid] - before[proc.pid]) / (t1 - t0)
    total = sum(after[p] - before.get(p, 0.0) for p in after) / (t1 - t0)
    return {
        "workers": workers,
        "polls_per_s": rate,
        "expected_per_s": len(hosts) / args.interval,
        "ms_per_poll": 1000 * total / max(rate, 1e-9),
        "owner_ms": 1000 * owner / max(rate, 1e-9),
        "workers_ms": 1000 * (total - owner) / max(rate, 1e-9),
        "cores": total,
        "rss_mb": sum(rss.values()) / 2**20,
    }


def rss_idle(workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, _ = start(Path(tmp), [], workers)
        try:
            wait_ready(proc, port, 0, 60)
            time.sleep(5)
            for p in tree(proc.pid):
                role = "worker" if "sshmon.worker" in " ".join(p.cmdline()) else "owner"
                mb = p.memory_info().rss / 2**20
                print(f"workers={workers} {role} pid {p.pid}: RSS {mb:.1f} MB")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


async def series(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with sim_target(Path(tmp), args.hosts, args.interval) as target:
            hosts: list[dict[str, object]] = [
                {
                    "name": h.name,
                    "address": h.address,
                    "port": h.port,
                    "interval": args.interval,
                    "slow_every": h.slow_every,
                }
                for h in target.hosts
            ]
            known = target.known_hosts.read_text()  # the simulator's key, as `sshmon trust`
            results: dict[int, list[dict[str, float]]] = {1: [], args.workers: []}
            for i in range(args.repeat):
                for workers in (1, args.workers):
                    run_dir = Path(tmp) / f"run-{i}-{workers}"
                    run_dir.mkdir()
                    stats = await asyncio.to_thread(one_run, run_dir, hosts, workers, args, known)
                    results[workers].append(stats)
                    print(json.dumps({k: round(v, 3) for k, v in stats.items()}), flush=True)
            for workers, runs in results.items():
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                print(
                    f"median of {len(runs)}, --workers {workers}: "
                    + ", ".join(f"{k} {v:.3f}" for k, v in med.items()),
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rss", action="store_true", help="RSS with 0 hosts only")
    args = parser.parse_args()
    if args.rss:
        for workers in (1, args.workers):
            rss_idle(workers)
        return
    asyncio.run(series(args))


if __name__ == "__main__":
    main()
