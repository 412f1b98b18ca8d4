"""Target CPU per poll: sshmon's probe over a real sshd against node_exporter per scrape.

One command, on the machine to be measured (issue 12's cost targets):

    nice .venv/bin/python bench/target_cost.py --polls 240 --runs 3

Three contenders, measured back to back and alternated within each run, the figure
quoted being the median over runs:

- sshmon: one kept SSH connection and `sh` session to a real OpenSSH sshd on 127.0.0.1
  (tests/sshd.py), `--polls` probes in a row with the slow round every `--slow-every`th
  one (12, the default of `slow_every`), so fast and slow polls are weighted as they
  occur; each slow round reads the rarer sections whose cadence (`Source.every`) is due,
  counting the measured rounds from 0 as the poller counts them from a connection's
  first (so the every-30th ones run once in 20 rounds: a little more than in production).
  `--every-round-too` measures, alternated within each run, the probe reading every slow
  section at every slow round as before the cadences (issue 12). Cost: CPU of the sshd
  process tree from /proc (the per-connection sshd, `sh`, and the reaped `tail`, `df`,
  `ss`… children), as in poller_bench.py --mode sshd.
- node_exporter with its default collectors: `/usr/bin/prometheus-node-exporter` on a
  free loopback port, `--polls` scrapes of /metrics in a row over one kept HTTP
  connection (as Prometheus keeps it), each request with the headers Prometheus 2.42
  sends (PROMETHEUS_HEADERS: it asks for gzip, so node_exporter compresses its ~57 KB
  answer at every scrape). Cost: its process CPU from /proc/PID/stat. The same scrape
  without headers (a bare `GET /metrics`, the figure quoted before 2026-12-01) is
  printed beside it, so the ratio is shown against both.
- node_exporter restricted to the families sshmon collects (`--collector.disable-defaults`
  and one `--collector.X` per sshmon collector that has a node_exporter equivalent,
  NODE_EXPORTER_EQUIVALENT below; the list is printed).

`--scraper prometheus` cross-checks the header-mimicking client with the real one: it
also runs `/usr/bin/prometheus` (a temporary TSDB, one job scraping the default
node_exporter every PROMETHEUS_INTERVAL_S) and takes node_exporter's CPU over a window of
`--polls` intervals, divided by the scrapes Prometheus made in it (node_exporter's own
`promhttp_metric_handler_requests_total{code="200"}` read before and after, each read
counted out). That window includes node_exporter's idle time between scrapes, which the
back-to-back scrapes leave out; its CPU over as long a window after Prometheus stopped
is printed beside it. With it, sshmon is measured paced the same way too (one poll every
PROMETHEUS_INTERVAL_S, the time between polls in the window): both sides then pay what a
process woken from sleep pays (cold caches, the wake-up), which back-to-back polls and
scrapes leave out, and the two paced figures compare like for like.

Both sides poll as fast as they answer, so idle time between polls (keepalives, Go's
background GC) is left out of both. /proc CPU figures tick at 10 ms: keep
--polls times the per-poll cost well above that (the default gives ~0.5 to 2 s of CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from poller_bench import tree_cpu_counter  # noqa: E402  (also puts tests/ on sys.path)

from poller import probe  # noqa: E402
from poller.collectors.registry import NAMES  # noqa: E402
from poller.inventory import Host  # noqa: E402
from poller.ssh import Connector, SshSettings  # noqa: E402
from poller.transport import SshLink  # noqa: E402

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMETHEUS = "/usr/bin/prometheus"
# What Prometheus 2.42 sends with every scrape: prometheus/prometheus v2.42.0
# scrape/scrape.go, `scrapeAcceptHeader` (the `Accept` of a job without native histograms)
# and `targetScraper.scrape`, which adds `Accept-Encoding: gzip`, the `User-Agent` and
# `X-Prometheus-Scrape-Timeout-Seconds`. Checked against the installed /usr/bin/prometheus
# (2.42.0+ds) scraping a recording listener on 127.0.0.1: exactly these headers, the
# timeout being its job's (10 s is the default scrape_timeout).
PROMETHEUS_HEADERS: dict[str, str] = {
    "Accept": (
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    ),
    "Accept-Encoding": "gzip",
    "User-Agent": "Prometheus/2.42.0",
    "X-Prometheus-Scrape-Timeout-Seconds": "10",
}
# The real Prometheus' scrape interval in `--scraper prometheus` (it takes sub-second
# intervals; each scrape costs node_exporter ~5 to 7 ms here, well inside it)
PROMETHEUS_INTERVAL_S = 0.1
# sshmon collector -> node_exporter collector reading the same source (None: no equivalent;
# a name not listed is reported and left out). Names of families other branches add are
# listed too, so the restricted run follows whatever the registry holds when it is run.
NODE_EXPORTER_EQUIVALENT: dict[str, str | None] = {
    "cpu": "cpu",
    "stat": "stat",
    "loadavg": "loadavg",
    "meminfo": "meminfo",
    "vmstat": "vmstat",
    "filesystem": "filesystem",
    "diskstats": "diskstats",
    "netdev": "netdev",
    "netstat": "netstat",
    "sockstat": "sockstat",
    "filefd": "filefd",
    "pressure": "pressure",
    "uptime": None,  # node_exporter has no /proc/uptime family (boot time is in stat)
    "os": "os",
    "uname": "uname",
    "tcpstat": "tcpstat",
    "timex": "timex",
    "time": "time",  # node_exporter's also reads the wall clock and zone, a trifle
    "selinux": "selinux",
    "systemd": "systemd",
    "hwmon": "hwmon",
    "thermal_zone": "thermal_zone",
    "mdstat": "mdadm",
    "mdadm": "mdadm",
    "netclass": "netclass",
    "entropy": "entropy",
    "softnet": "softnet",
    "conntrack": "conntrack",
    "processes": "processes",
    "interrupts": "interrupts",
    "schedstat": "schedstat",
    "cgroups": None,
}


def same_family_flags(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """node_exporter flags for the families of these sshmon collectors, and the sshmon
    collectors left out (no equivalent, or unknown to the table)."""
    flags, left_out = ["--collector.disable-defaults"], []
    for name in names:
        ne = NODE_EXPORTER_EQUIVALENT.get(name)
        if ne is None:
            left_out.append(name)
        elif f"--collector.{ne}" not in flags:
            flags.append(f"--collector.{ne}")
    return flags, left_out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _process_cpu(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)


@contextmanager
def node_exporter(flags: list[str]) -> Iterator[tuple[int, int]]:
    """A running node_exporter (pid, port), stopped afterwards."""
    port = _free_port()
    proc = subprocess.Popen(
        [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"node_exporter did not listen: {flags}") from None
                time.sleep(0.05)
        yield proc.pid, port
    finally:
        proc.terminate()
        proc.wait(10)


def scrape_cost(
    flags: list[str], scrapes: int, headers: dict[str, str] | None = None
) -> tuple[float, int]:
    """node_exporter CPU ms per scrape over `scrapes` back-to-back scrapes sent with
    `headers` (None: a bare GET), and the size of the last answer as sent (gzip or not)."""
    with node_exporter(flags) as (pid, port):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def scrape() -> int:
            conn.request("GET", "/metrics", headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"node_exporter answered {response.status}")
            if headers and response.getheader("Content-Encoding") != "gzip":
                raise RuntimeError("node_exporter did not gzip for Prometheus' headers")
            return len(body)

        for _ in range(5):  # warm-up: first-scrape allocations, the Go runtime settling
            scrape()
        cpu0 = _process_cpu(pid)
        size = 0
        for _ in range(scrapes):
            size = scrape()
        cpu1 = _process_cpu(pid)
        conn.close()
    return (cpu1 - cpu0) * 1000 / scrapes, size


_HANDLER_OK = re.compile(r'^promhttp_metric_handler_requests_total\{code="200"\} (\S+)$', re.M)


def _handler_requests(port: int) -> int:
    """node_exporter's count of /metrics requests answered 200 so far (this one excluded:
    promhttp counts a request when it is done)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/metrics")
        found = _HANDLER_OK.search(conn.getresponse().read().decode())
    finally:
        conn.close()
    if found is None:
        raise RuntimeError("no promhttp_metric_handler_requests_total in node_exporter's answer")
    return int(float(found.group(1)))


def prometheus_scrape_cost(scrapes: int, tmp: Path) -> tuple[float, int, float]:
    """node_exporter (defaults) CPU ms per scrape while the real Prometheus scrapes it
    every PROMETHEUS_INTERVAL_S, over a window of `scrapes` intervals; the scrapes
    counted in it; and its CPU over as long a window without scrapes, per scrape counted."""
    with node_exporter([]) as (pid, port):
        config = tmp / "prometheus.yml"
        config.write_text(
            "global:\n"
            f"  scrape_interval: {int(PROMETHEUS_INTERVAL_S * 1000)}ms\n"
            f"  scrape_timeout: {int(PROMETHEUS_INTERVAL_S * 1000)}ms\n"
            "scrape_configs:\n"
            "  - job_name: node\n"
            "    static_configs:\n"
            f"      - targets: ['127.0.0.1:{port}']\n"
        )
        data = tempfile.mkdtemp(dir=tmp)
        prometheus = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{_free_port()}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Prometheus hands new targets to its scrape loops every 5 s: wait for its
            # scrapes to be under way (and a few more for warm-up) before the window
            deadline = time.monotonic() + 30
            seen = _handler_requests(port)
            while True:  # each read is a request of its own, counted at the next read
                time.sleep(0.5)
                now = _handler_requests(port)
                if now - seen - 1 > 0:
                    break
                if time.monotonic() > deadline or prometheus.poll() is not None:
                    raise RuntimeError("Prometheus did not scrape node_exporter")
                seen = now
            time.sleep(2)  # warm-up: node_exporter's and the scrape loop's first rounds
            n0 = _handler_requests(port)
            cpu0 = _process_cpu(pid)
            time.sleep(scrapes * PROMETHEUS_INTERVAL_S)
            cpu1 = _process_cpu(pid)
            n1 = _handler_requests(port)
        finally:
            prometheus.terminate()
            prometheus.wait(30)
        # the same window without scrapes: what node_exporter costs idle (Go's runtime)
        idle0 = _process_cpu(pid)
        time.sleep(scrapes * PROMETHEUS_INTERVAL_S)
        idle = _process_cpu(pid) - idle0
    counted = n1 - n0 - 1  # the count read before the window is in n1
    if counted <= 0:
        raise RuntimeError("Prometheus made no scrape in the window")
    return (cpu1 - cpu0) * 1000 / counted, counted, idle * 1000 / counted


async def _poll_cost(
    link: SshLink,
    target_cpu: Callable[[], float],
    polls: int,
    every: int,
    cadences: tuple[int, ...] | None,
    pace: float = 0.0,
) -> float:
    """`cadences`: the plan's rarer slow cadences, each run at the slow rounds it is due;
    None: all of them at every slow round. `pace`: seconds from one poll's start to the
    next (0: back to back)."""
    for i in range(every):  # warm-up: the session, its definitions, one slow round
        await link.poll(probe.new_nonce(), slow=i == 0)
    cpu0 = target_cpu()
    start = time.monotonic()
    for i in range(polls):
        rare = None
        if cadences is not None:
            rare = tuple(c for c in cadences if (i // every) % c == 0)
        raw = await link.poll(probe.new_nonce(), slow=i % every == 0, rare=rare)
        if not raw.output:
            raise RuntimeError("empty poll")
        if pace:
            await asyncio.sleep(max(0.0, start + (i + 1) * pace - time.monotonic()))
    return (target_cpu() - cpu0) * 1000 / polls


class SshmonTarget:
    """A real sshd on 127.0.0.1 and one kept link to it, for the whole benchmark."""

    def __init__(self, tmp: Path, collectors: tuple[str, ...]) -> None:
        from sshd import Sshd  # tests/sshd.py

        self.sshd = Sshd(tmp).start()
        assert self.sshd.process is not None
        known = tmp / "known_hosts"
        pub = Path(f"{self.sshd.host_key}.pub").read_text()
        known.write_text(f"[127.0.0.1]:{self.sshd.port} {pub}")
        host = Host.model_validate(
            {
                "name": "bench",
                "address": "127.0.0.1",
                "port": self.sshd.port,
                "user": self.sshd.user,
                "identity_files": (self.sshd.client_key,),
                "collectors": collectors,
            }
        )
        settings = SshSettings(known_hosts=known, ssh_config=(), user_known_hosts=())
        self.link = SshLink(host, Connector(settings).connect, time.monotonic)
        self.cadences = probe.plan_for(host).cadences
        self.cpu = tree_cpu_counter(self.sshd.process.pid)

    def cost(self, polls: int, every: int, every_round: bool = False, pace: float = 0.0) -> float:
        cadences = None if every_round else self.cadences
        return asyncio.run(self._cost(polls, every, cadences, pace))

    async def _cost(
        self, polls: int, every: int, cadences: tuple[int, ...] | None, pace: float
    ) -> float:
        try:
            return await _poll_cost(self.link, self.cpu, polls, every, cadences, pace)
        finally:
            await self.link.close()  # asyncio.run closes its loop: reconnect next run

    def stop(self) -> None:
        self.sshd.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--polls", type=int, default=240, help="polls/scrapes per measurement")
    ap.add_argument("--runs", type=int, default=3, help="alternated runs; medians are quoted")
    ap.add_argument("--slow-every", type=int, default=12, help="slow round every N polls")
    ap.add_argument(
        "--exclude",
        default="",
        help="comma-separated sshmon collectors to leave out on both sides (a family's share)",
    )
    ap.add_argument(
        "--every-round-too",
        action="store_true",
        help="also measure every slow section at every slow round (no cadences)",
    )
    ap.add_argument(
        "--scraper",
        choices=("headers", "prometheus"),
        default="headers",
        help="prometheus: also measure node_exporter (defaults) scraped by the real "
        f"/usr/bin/prometheus every {PROMETHEUS_INTERVAL_S} s",
    )
    args = ap.parse_args()
    excluded = {n for n in args.exclude.split(",") if n}
    if excluded - set(NAMES):
        ap.error(f"unknown collectors: {', '.join(sorted(excluded - set(NAMES)))}")
    names = tuple(n for n in NAMES if n not in excluded)
    same_flags, left_out = same_family_flags(names)
    print(f"sshmon collectors: {', '.join(names)}")
    print(f"node_exporter same families: {' '.join(same_flags)}")
    print(f"  left out (no node_exporter equivalent): {', '.join(left_out) or 'none'}")
    keys = (
        "sshmon",
        "sshmon_all",
        "sshmon_paced",
        "ne_default",
        "ne_bare",
        "ne_same",
        "ne_prometheus",
    )
    figures: dict[str, list[float]] = {k: [] for k in keys}
    with tempfile.TemporaryDirectory() as tmp_dir:
        target = SshmonTarget(Path(tmp_dir), names)
        try:
            for run in range(args.runs):
                figures["sshmon"].append(target.cost(args.polls, args.slow_every))
                if args.every_round_too:
                    all_ms = target.cost(args.polls, args.slow_every, every_round=True)
                    figures["sshmon_all"].append(all_ms)
                    print(f"run {run + 1}: sshmon every section every slow round {all_ms:.2f}")
                ms, default_size = scrape_cost([], args.polls, PROMETHEUS_HEADERS)
                figures["ne_default"].append(ms)
                ms, bare_size = scrape_cost([], args.polls)
                figures["ne_bare"].append(ms)
                ms, same_size = scrape_cost(same_flags, args.polls, PROMETHEUS_HEADERS)
                figures["ne_same"].append(ms)
                s, d, b, f = (
                    figures[k][-1] for k in ("sshmon", "ne_default", "ne_bare", "ne_same")
                )
                print(
                    f"run {run + 1}: sshmon {s:.2f} ms/poll, node_exporter default {d:.2f} "
                    f"ms/scrape ({default_size} B gzip), bare GET {b:.2f} ({bare_size} B), "
                    f"same families {f:.2f} ({same_size} B gzip)",
                    flush=True,
                )
                if args.scraper == "prometheus":
                    paced = target.cost(args.polls, args.slow_every, pace=PROMETHEUS_INTERVAL_S)
                    figures["sshmon_paced"].append(paced)
                    print(
                        f"run {run + 1}: sshmon one poll every {PROMETHEUS_INTERVAL_S} s "
                        f"{paced:.2f} ms/poll",
                        flush=True,
                    )
                    ms, counted, idle = prometheus_scrape_cost(args.polls, Path(tmp_dir))
                    figures["ne_prometheus"].append(ms)
                    print(
                        f"run {run + 1}: node_exporter default scraped by Prometheus {ms:.2f} "
                        f"ms/scrape ({counted} scrapes; idle over as long: {idle:.2f} ms "
                        "per scrape)",
                        flush=True,
                    )
        finally:
            target.stop()
    s, d, b, f = (
        statistics.median(figures[k]) for k in ("sshmon", "ne_default", "ne_bare", "ne_same")
    )
    print(f"median of {args.runs} runs ({args.polls} polls each, slow every {args.slow_every}):")
    print(f"  sshmon                       {s:6.2f} ms target CPU per poll")
    print(f"  node_exporter, defaults      {d:6.2f} ms per scrape   sshmon/ne = {s / d:.2f}x")
    print(f"    bare GET, no gzip          {b:6.2f} ms per scrape   sshmon/ne = {s / b:.2f}x")
    print(f"  node_exporter, same families {f:6.2f} ms per scrape   sshmon/ne = {s / f:.2f}x")
    if figures["ne_prometheus"]:
        r = statistics.median(figures["ne_prometheus"])
        p = statistics.median(figures["sshmon_paced"])
        print(f"    real Prometheus, defaults  {r:6.2f} ms per scrape   sshmon/ne = {s / r:.2f}x")
        print(
            f"  both paced, one every {PROMETHEUS_INTERVAL_S} s: sshmon {p:.2f} ms per poll, "
            f"real Prometheus {r:.2f} ms per scrape   sshmon/ne = {p / r:.2f}x"
        )
    if figures["sshmon_all"]:
        a = statistics.median(figures["sshmon_all"])
        print(f"  sshmon, no cadences          {a:6.2f} ms target CPU per poll  /ne = {a / d:.2f}x")
    print("  targets: <= 0.30x of defaults, <= 0.6x of same families (Prometheus' headers)")


if __name__ == "__main__":
    main()
