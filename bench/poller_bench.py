"""Poller benchmark: N hosts for T seconds through the real scheduler, links and parsers.

    .venv/bin/python bench/poller_bench.py --mode sim  --hosts 2000 --seconds 60
    .venv/bin/python bench/poller_bench.py --mode sshd --hosts 50   --seconds 30

--mode sim   one asyncssh server *process* answering every poll with a recorded real
             capture of this machine (fast and slow variants): cheap targets, so thousands
             of hosts measure the poller's own cost.
--mode sshd  a real OpenSSH sshd on loopback (tests/sshd.py), the hosts spread over
             127.0.0.1-4 aliases; target CPU is the sshd process tree's, from /proc.

Prints per run and as medians over --runs: polls completed, poller CPU ms per host-poll
(everything in this process: SSH, framing, parsing, derivation, scheduling), p50/p99 poll
latency, p99 schedule lag, and target CPU ms per poll. Measures after a warm-up, so the
one-off connects (key exchange) are not counted as per-poll cost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the real-sshd helper the tests use

from poller import gcpolicy, probe  # noqa: E402
from poller.gcpolicy import manage_gc  # noqa: E402
from poller.inventory import Host  # noqa: E402
from poller.points import HostState  # noqa: E402
from poller.poll import PollOutcome  # noqa: E402
from poller.scheduler import SystemClock, ssh_scheduler  # noqa: E402
from poller.ssh import Connector, SshSettings  # noqa: E402
from poller.transport import LocalLink  # noqa: E402

# one measured poll: (ok, duration s, schedule lag s)
Seen = tuple[bool, float, float]
GC_POLICY = True  # --no-gc-policy turns it off, to compare
SLOW_EVERY = 6  # --slow-every


@dataclass
class Target:
    hosts: list[Host]
    known_hosts: Path
    cpu_seconds: Callable[[], float]  # target-side CPU so far


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds per process in the tree, reaped children included (the `tail` runs)."""
    out: dict[int, float] = {}
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            with_children = proc.cpu_times()
            out[proc.pid] = sum(with_children[:4])  # user, system, children_user, children_system
    except psutil.NoSuchProcess:
        pass
    return out


def tree_cpu_counter(pid: int) -> Callable[[], float]:
    """Monotone CPU total of a tree whose members come and go (per-connection sshds)."""
    seen: dict[int, float] = {}

    def total() -> float:
        seen.update(tree_cpu(pid))
        return sum(seen.values())

    return total


async def _capture(tmp: Path) -> tuple[Path, Path]:
    link = LocalLink(Host(name="capture", address="localhost", transport="local"))
    paths = []
    try:
        for slow in (False, True):
            nonce = probe.new_nonce()
            raw = await link.poll(nonce, slow=slow)
            path = tmp / f"capture-{'slow' if slow else 'fast'}"
            template = raw.output.replace(nonce.encode(), b"{nonce}")
            path.write_bytes(_uptime_placeholder(template))
            paths.append(path)
    finally:
        await link.close()
    return paths[0], paths[1]


def _uptime_placeholder(template: bytes) -> bytes:
    """The simulator fills in a moving uptime: derive measures elapsed time by it, and a
    frozen one would leave every rate out (and its cost unmeasured)."""
    header = b"==> /proc/uptime <==\n"
    start = template.index(header) + len(header)
    end = template.index(b"\n", start)
    # every copy of the line: the cgroups section reads /proc/uptime as its own clock, and
    # a frozen one there would leave its rates out
    return template.replace(template[start:end], b"{uptime}")


def _host(i: int, address: str, port: int, **kw: object) -> Host:
    return Host.model_validate(
        {
            "name": f"h{i:05d}",
            "address": address,
            "port": port,
            "user": "bench",
            "slow_every": SLOW_EVERY,
            **kw,
        }
    )


@asynccontextmanager
async def sim_target(tmp: Path, n: int, interval: float) -> AsyncIterator[Target]:
    fast, slow = await _capture(tmp)
    key = asyncssh.generate_private_key("ssh-ed25519")
    key.write_private_key(str(tmp / "host_key"))
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench/sim_server.py"),
            str(fast),
            str(slow),
            str(tmp / "host_key"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        known = tmp / "known_hosts"
        known.write_text(f"[127.0.0.1]:{port} {key.export_public_key().decode()}")
        hosts = [_host(i, "127.0.0.1", port, interval=interval) for i in range(n)]
        yield Target(hosts, known, tree_cpu_counter(server.pid))
    finally:
        server.terminate()
        server.wait()


@asynccontextmanager
async def sshd_target(tmp: Path, n: int, interval: float) -> AsyncIterator[Target]:
    from sshd import Sshd

    aliases = [f"127.0.0.{i}" for i in range(1, 5)]
    sshd = Sshd(tmp, extra_config="".join(f"ListenAddress {a}\n" for a in aliases[1:]))
    sshd.start()
    try:
        known = tmp / "known_hosts"
        pub = Path(f"{sshd.host_key}.pub").read_text()
        known.write_text("".join(f"[{a}]:{sshd.port} {pub}" for a in aliases))
        hosts = [
            _host(
                i,
                aliases[i % len(aliases)],
                sshd.port,
                interval=interval,
                user=sshd.user,
                identity_files=(sshd.client_key,),
            )
            for i in range(n)
        ]
        assert sshd.process is not None
        yield Target(hosts, known, tree_cpu_counter(sshd.process.pid))
    finally:
        sshd.stop()


async def run_once(
    mode: str, n: int, seconds: float, interval: float, warmup: float
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp_dir:
        make = sim_target if mode == "sim" else sshd_target
        async with make(Path(tmp_dir), n, interval) as target:
            return await _measure(target, seconds, warmup)


class GcPauses:
    """Full (generation 2) collections and how long they stopped the loop: with thousands
    of hosts' previous readings alive, one full collection walks millions of objects."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.young_s = 0.0  # time in generation 0 and 1 passes (the per-poll garbage)
        self._started = self._cpu_started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            self._cpu_started = time.thread_time()
        elif info["generation"] == 2:
            self.pauses.append(time.perf_counter() - self._started)
        else:
            # CPU, not wall: on a shared machine a pass's wall time includes being preempted
            self.young_s += time.thread_time() - self._cpu_started


async def _measure(target: Target, seconds: float, warmup: float) -> dict[str, float]:
    measuring = False
    # three floats per poll, not the outcome: 15,000 outcomes kept with their points and
    # readings were half of the RSS this benchmark used to report at 5,000 hosts
    seen: list[Seen] = []
    answered: set[str] = set()
    all_answered = asyncio.Event()

    def sink(outcome: PollOutcome) -> None:
        if measuring:
            status = outcome.status
            seen.append((status.state is HostState.OK, status.duration_s, outcome.schedule_lag_s))
        elif outcome.status.state is HostState.OK:
            answered.add(outcome.status.host)
            if len(answered) == len(target.hosts):
                all_answered.set()

    settings = SshSettings(known_hosts=target.known_hosts, ssh_config=(), user_known_hosts=())
    scheduler = ssh_scheduler(sink, Connector(settings))
    # everything but the hosts is in place: imports, the capture, the loop; what the
    # process holds more at the end of the window is what the hosts cost
    gc.collect()
    if GC_POLICY and hasattr(gcpolicy, "YOUNG_THRESHOLD"):
        # what `sshmon run`'s policy sets from its start, the connect storm included (the
        # freeze itself comes below, once every host is in); hasattr: older builds lack it
        gc.set_threshold(gcpolicy.YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    rss0 = _rss()
    started, cpu_started = time.monotonic(), time.process_time()
    await scheduler.start(target.hosts)
    # the connect storm (one key exchange per host) is start-up cost, not per-poll cost:
    # measure once every host has answered, plus the warm-up for the loop to settle
    await all_answered.wait()
    connect_s = time.monotonic() - started
    connect_cpu = time.process_time() - cpu_started
    print(
        f"  all {len(target.hosts)} hosts connected in {connect_s:.1f} s "
        f"({connect_cpu / len(target.hosts) * 1000:.2f} ms poller CPU per host)",
        flush=True,
    )
    gc_task = None
    if GC_POLICY:
        # what `sshmon run` does (poller/gcpolicy.py), settled early: every host is in
        gc_task = asyncio.create_task(manage_gc(SystemClock(), settle_s=0.0))
    await asyncio.sleep(warmup)
    measuring = True
    gc_pauses = GcPauses()
    gc.callbacks.append(gc_pauses)
    cpu0, target0, wall0 = time.process_time(), target.cpu_seconds(), time.monotonic()
    await asyncio.sleep(seconds)
    measuring = False
    cpu1, target1, wall1 = time.process_time(), target.cpu_seconds(), time.monotonic()
    rss1 = _rss()
    gc.callbacks.remove(gc_pauses)
    await scheduler.stop()
    if gc_task is not None:
        gc_task.cancel()
        await asyncio.gather(gc_task, return_exceptions=True)
    stats = _stats(seen, cpu1 - cpu0, target1 - target0, wall1 - wall0)
    stats["gc_full"] = len(gc_pauses.pauses)
    stats["gc_max_ms"] = max(gc_pauses.pauses, default=0.0) * 1000
    stats["gc_young_share"] = gc_pauses.young_s / max(cpu1 - cpu0, 1e-9)
    stats["connect_s"] = connect_s
    stats["connect_cpu_ms_per_host"] = connect_cpu / len(target.hosts) * 1000
    stats["rss_mb"] = rss1 / 2**20
    stats["rss_kb_per_host"] = (rss1 - rss0) / len(target.hosts) / 1024
    return stats


def _rss() -> int:
    """This process's resident set, bytes (the simulator's is the target's, not counted)."""
    return int(psutil.Process().memory_info().rss)


def _stats(seen: list[Seen], cpu: float, target_cpu: float, wall: float) -> dict[str, float]:
    ok = [s for s in seen if s[0]]
    durations = sorted(s[1] for s in ok) or [float("nan")]
    lags = sorted(s[2] for s in seen) or [float("nan")]
    polls = max(1, len(seen))

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))]

    return {
        "polls": len(seen),
        "failed": len(seen) - len(ok),
        "polls_per_s": len(seen) / wall,
        "poller_cpu_ms_per_poll": cpu / polls * 1000,
        "poller_cpu_share": cpu / wall,
        "latency_p50_ms": pct(durations, 0.5) * 1000,
        "latency_p99_ms": pct(durations, 0.99) * 1000,
        "lag_p99_ms": pct(lags, 0.99) * 1000,
        "target_cpu_ms_per_poll": target_cpu / polls * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("sim", "sshd"), default="sim")
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument(
        "--warmup", type=float, default=None, help="after all hosts connected; default 1 interval"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slow-every", type=int, default=6, help="slow sections every N polls")
    parser.add_argument(
        "--no-gc-policy", action="store_true", help="leave CPython's GC alone (to compare)"
    )
    args = parser.parse_args()
    global GC_POLICY, SLOW_EVERY
    GC_POLICY = not args.no_gc_policy
    SLOW_EVERY = args.slow_every
    warmup = args.warmup if args.warmup is not None else args.interval
    runs = []
    for i in range(args.runs):
        stats = asyncio.run(run_once(args.mode, args.hosts, args.seconds, args.interval, warmup))
        runs.append(stats)
        print(f"run {i + 1}: " + _line(stats), flush=True)
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(
        f"median of {len(runs)} ({args.mode}, {args.hosts} hosts, {args.interval:g} s): "
        + _line(medians)
    )


def _line(stats: dict[str, float]) -> str:
    return (
        f"polls {stats['polls']:.0f} (failed {stats['failed']:.0f}, {stats['polls_per_s']:.0f}/s), "
        f"poller CPU {stats['poller_cpu_ms_per_poll']:.3f} ms/poll "
        f"({stats['poller_cpu_share'] * 100:.0f}% of a core), "
        f"latency p50 {stats['latency_p50_ms']:.1f} ms p99 {stats['latency_p99_ms']:.1f} ms, "
        f"schedule lag p99 {stats['lag_p99_ms']:.1f} ms, "
        f"target CPU {stats['target_cpu_ms_per_poll']:.3f} ms/poll, "
        f"full GCs {stats['gc_full']:.0f} (longest {stats['gc_max_ms']:.0f} ms), "
        f"young GCs {stats['gc_young_share'] * 100:.1f}% of the CPU, "
        f"connect storm {stats['connect_s']:.1f} s "
        f"({stats['connect_cpu_ms_per_host']:.2f} ms CPU/host), "
        f"RSS {stats['rss_mb']:.0f} MB ({stats['rss_kb_per_host']:.1f} KB/host over 0 hosts)"
    )


if __name__ == "__main__":
    main()
