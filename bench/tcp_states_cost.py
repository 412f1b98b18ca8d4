"""Target CPU of the ways to count TCP connections per state, on a host with many sockets.

Opens loopback TCP connections in a few states (ESTABLISHED pairs, CLOSE_WAIT with the
peer's orphaned FIN_WAIT2, TIME_WAIT, a few LISTEN), over IPv4 and IPv6, from forked worker
processes (each under its own file-descriptor limit), then times each candidate command as
the probe would run it (`sh -c COMMAND`): CPU of the whole command tree from
`RUSAGE_CHILDREN`, per call. Methods are alternated within a round and the figure quoted
is the median over rounds. TIME_WAIT lasts 60 s on Linux, so the rounds are kept short
and the state counts actually seen are printed with the figures.

    nice python3 bench/tcp_states_cost.py --established 15000 --close-wait 4000 \
        --time-wait 10000 --rounds 5

Standard library only: it runs with any python3 (root is not needed; the worker fd limit
is raised to the hard limit, which is enough with several workers).
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

AWK_COUNT = "awk 'NR>1 {n[$1]++} END {for (s in n) print s, n[s]}'"
STATES = (
    "established syn-sent syn-recv fin-wait-1 fin-wait-2 time-wait closed "
    "close-wait last-ack listening closing"
)
METHODS: dict[str, str] = {
    "baseline sh -c :": ":",
    "cat /proc/net/sockstat (no per-state)": "cat /proc/net/sockstat /proc/net/sockstat6",
    "ss -s (summary, no per-state)": "ss -s",
    "ss -tan | awk count": f"ss -tan | {AWK_COUNT}",
    "ss -tan state X | wc -l, x11": (
        f"for s in {STATES}; do printf '%s ' $s; ss -Htan state $s | wc -l; done"
    ),
    "awk st column of /proc/net/tcp{,6}": (
        'cat /proc/net/tcp /proc/net/tcp6 | awk \'NR>1 && $4 != "st" {n[$4]++} '
        "END {for (s in n) print s, n[s]}'"
    ),
}
BATCH = 500  # connect this many, then accept them: stays under the listen backlog


def _raise_fd_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _pairs(family: int, host: str, n: int) -> tuple[list[socket.socket], list[socket.socket]]:
    """n connected (client, server) pairs through a new listener of this worker; the
    listener is returned first among the server sockets so it stays open (LISTEN)."""
    lst = socket.socket(family, socket.SOCK_STREAM)
    lst.bind((host, 0))
    lst.listen(4096)
    port = lst.getsockname()[1]
    clients: list[socket.socket] = []
    servers: list[socket.socket] = [lst]
    while len(clients) < n:
        batch = min(BATCH, n - len(clients))
        for _ in range(batch):
            c = socket.socket(family, socket.SOCK_STREAM)
            c.connect((host, port))
            clients.append(c)
        for _ in range(batch):
            servers.append(lst.accept()[0])
    return clients, servers


@contextmanager
def sockets(established: int, close_wait: int, time_wait: int, v6_share: float) -> Iterator[None]:
    """Forked workers holding the sockets; at most `per_worker` pairs each (fd limit)."""
    per_worker = max(1, (resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 64) // 2)
    per_worker = min(per_worker, 8000)  # and under the ephemeral port range per listener
    pids: list[int] = []
    plan: list[tuple[int, str, int, int, int]] = []
    for family, host, share in (
        (socket.AF_INET, "127.0.0.1", 1 - v6_share),
        (socket.AF_INET6, "::1", v6_share),
    ):
        # one kind per worker: a pair holds two descriptors while it is being set up
        for kind, total in enumerate(
            round(x * share) for x in (established, close_wait, time_wait)
        ):
            while total > 0:
                n = min(total, per_worker)
                counts = [0, 0, 0]
                counts[kind] = n
                plan.append((family, host, counts[0], counts[1], counts[2]))
                total -= n
    try:
        for args in plan:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                try:
                    _worker_ready(w, *args)
                finally:
                    os._exit(0)
            os.close(w)
            if os.read(r, 1) != b"1":
                raise RuntimeError(f"worker {args} failed")
            os.close(r)
            pids.append(pid)
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _worker_ready(w: int, family: int, host: str, e: int, c: int, t: int) -> None:
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        _raise_fd_limit()
        keep: list[socket.socket] = []
        cl, sv = _pairs(family, host, e)
        keep += cl + sv
        cl, sv = _pairs(family, host, c)
        for sock in cl:
            sock.close()
        keep += sv
        cl, sv = _pairs(family, host, t)
        keep.append(sv[0])  # the listener
        for sock in cl:
            sock.close()
        time.sleep(0.05)  # the FINs are exchanged before the server side closes
        for sock in sv[1:]:
            sock.close()
    except OSError as exc:
        sys.stderr.write(f"worker: {exc}\n")
        os.write(w, b"0")
        return
    os.write(w, b"1")
    while True:
        signal.pause()


def cpu_ms(command: str) -> tuple[float, int]:
    """CPU (user + system, whole tree) of one `sh -c COMMAND`, and its output bytes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["sh", "-c", command], capture_output=True, check=False).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu * 1000, len(out)


def state_counts() -> str:
    out = subprocess.run(
        ["sh", "-c", METHODS["ss -tan | awk count"]], capture_output=True, text=True, check=False
    ).stdout
    return ", ".join(sorted(out.split("\n")[:-1], key=lambda line: -int(line.split()[1])))


def measure(rounds: int, calls: int) -> dict[str, tuple[float, int]]:
    per: dict[str, list[float]] = {m: [] for m in METHODS}
    size: dict[str, int] = {}
    for _ in range(rounds):
        for name, command in METHODS.items():  # alternated: one call batch of each per round
            total = 0.0
            for _ in range(calls):
                ms, size[name] = cpu_ms(command)
                total += ms
            per[name].append(total / calls)
    return {m: (statistics.median(v), size[m]) for m, v in per.items()}


def report(title: str, figures: dict[str, tuple[float, int]]) -> None:
    print(f"\n## {title}")
    print(f"states (ss): {state_counts()}")
    print("| method | target CPU ms/call (median) | output bytes |")
    print("|---|---|---|")
    for name, (ms, size) in figures.items():
        print(f"| {name} | {ms:.2f} | {size} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--established", type=int, default=15000, help="ESTABLISHED pairs")
    ap.add_argument("--close-wait", type=int, default=4000, help="CLOSE_WAIT/FIN_WAIT2 pairs")
    ap.add_argument("--time-wait", type=int, default=10000, help="TIME_WAIT sockets")
    ap.add_argument("--v6-share", type=float, default=0.3, help="share opened over ::1")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=3, help="calls per method per round")
    args = ap.parse_args()
    report("idle host (this machine as it is)", measure(args.rounds, args.calls))
    t0 = time.monotonic()
    with sockets(args.established, args.close_wait, args.time_wait, args.v6_share):
        print(f"\n(opened in {time.monotonic() - t0:.1f} s)")
        report("with the bench's sockets", measure(args.rounds, args.calls))


if __name__ == "__main__":
    main()
