"""Wall and CPU time of the `GET /metrics` body for a fleet of N hosts.

    .venv/bin/python bench/metrics_render.py [--hosts 200] [--repeat 9] [--changed 1.0]
                                             [--profile FILE] [--memory] [--release]

Every host's readings are parsed from one of the two real probe captures in
tests/fixtures/local (fast and slow sections: 238 samples a host), with every integer of
two digits or more replaced by random digits of the same length, per host and per poll,
so no two hosts or polls print the same values. Before each timed render a fraction
`--changed` of the hosts "polls" again (fresh text, parsed anew, a new `Published` in the
hub's map), outside the timed region: 1.0 is a full re-render (every host polled since
the last scrape, as when the poll interval is shorter than the scrape interval), 0.1 is
one host in ten. sshmon's own health part (poll counters, host state, histogram, writer)
is rendered too, for the same hosts.

Times what the route runs in its threads (api/routes/prom.py): `metrics.host_samples` +
`metrics.exposition` before the fast path, `MetricsRenderer.render` after, plus collecting
sshmon's own families (on the event loop in the route; the same in both); the script
uses whichever the imported `api.metrics` has, so the same script can time an older tree
(`PYTHONPATH=/tmp/before .venv/bin/python bench/metrics_render.py`). Prints the median,
minimum and maximum wall and CPU (`time.process_time`) ms per render, and the medians
per 1,000 samples (= µs per sample); on a shared machine CPU time is the steadier one.
`--profile` writes a cProfile of the timed renders (read it with `python -m pstats FILE`,
`sort cumtime`, `stats 30`); `--memory` prints what a render leaves allocated (the
renderer's cache), by tracemalloc; `--peak` the peak of one scrape (own families, render,
the response's bytes), by tracemalloc, and exits; `--release` what `api.memtrim.release`
(glibc's malloc_trim, run after each render by the route) costs and gives back, and exits.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import random
import re
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api import metrics
from api.hub import Published
from parsers.frame import Section
from poller.collectors.registry import COLLECTORS, parse_all
from poller.collectors.status import OK
from poller.health import PollHealth
from poller.points import HostState, PollStatus
from poller.replay import sections_from_capture
from store.writer import WriterStats

CAPTURES = sorted((Path(__file__).resolve().parents[1] / "tests/fixtures/local").glob("*.txt"))
INTERVAL = 10.0
NOW = 1_800_000_000.0
# labels a fleet shares (kernel, distribution, mounts) stay as captured; the numbers vary
KEEP = frozenset({"uname", "os_release", "mounts", "cpuinfo"})
STATUSES = {c.name: OK for c in COLLECTORS}
_NUMBER = re.compile(r"\b\d{2,}\b(?!-)")  # not df's "1024-blocks" header


def _jitter(text: str, rng: random.Random) -> str:
    def digits(m: re.Match[str]) -> str:
        n = len(m.group())
        return str(rng.randint(10 ** (n - 1), 10**n - 1))

    return _NUMBER.sub(digits, text)


class Fleet:
    """N hosts' newest readings as the hub keeps them, and a way to make some poll again."""

    def __init__(self, hosts: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.captures = [sections_from_capture(p.read_text()) for p in CAPTURES]
        self.names = [f"host-{i:05d}.example.net" for i in range(hosts)]
        self.intervals = dict.fromkeys(self.names, INTERVAL)
        self.published: dict[str, Published] = {}
        self.seq = 0
        self.health = PollHealth()
        for name in self.names:
            self.poll(name)

    def poll(self, host: str) -> None:
        sections = self.captures[int(host[5:10]) % len(self.captures)]  # host-NNNNN
        varied = {
            k: s if k in KEEP else Section(k, _jitter(s.text, self.rng), s.rc)
            for k, s in sections.items()
        }
        self.seq += 1
        fields = (NOW, parse_all(varied).readings, self.seq)
        # an older tree's Published has no seq (its cache-less renderer needs none)
        self.published[host] = Published(*fields[: len(Published._fields)])
        duration = self.rng.lognormvariate(-4, 1)
        # every collector's status, as the sink reports each poll's (sshmon_collector_*:
        # ~130 series a host of sshmon's own, issue 15)
        self.health.observe(PollStatus(host, NOW, HostState.OK, "", duration), {}, STATUSES)

    def poll_some(self, fraction: float) -> None:
        for host in self.rng.sample(self.names, round(fraction * len(self.names))):
            self.poll(host)

    def own(self) -> list[Any]:
        stats = WriterStats(3, 1_000, 2_000_000, 0.05, 2_000, 0, 0, 0, 0, 0)
        # what `sshmon run` hands the route: printed while rendering where the tree has it
        collect = getattr(self.health, "collect_printed", self.health.collect)
        return [*collect(), *metrics.writer_families(stats)]


def _route(fleet: Fleet) -> Callable[[], str]:
    """What api/routes/prom.py runs for one scrape (off the loop), for this tree's API."""
    renderer_cls = getattr(metrics, "MetricsRenderer", None)
    if renderer_cls is not None:
        renderer = renderer_cls()

        def render() -> str:
            body = renderer.render(fleet.own(), fleet.published, [], fleet.intervals, NOW)
            # the body became UTF-8 bytes in issue 15; an older tree returns a string
            return body.decode() if isinstance(body, bytes) else str(body)

        return render

    def before() -> str:
        part = metrics.host_samples(fleet.published, [], fleet.intervals, NOW)
        return str(metrics.exposition(fleet.own(), part))

    return before


def _memory(render: Callable[[], str]) -> None:
    """What one render leaves allocated (the renderer's cache), next to the body's size."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    body = render()
    size = len(body)
    del body
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"kept between renders: {kept / 1e6:.1f} MB (the body: {size / 1e6:.1f} MB)")


def _peak(fleet: Fleet) -> None:
    """tracemalloc's peak over one scrape after every host polled again: sshmon's own
    families collected (on the event loop in the route), the body rendered and encoded
    as the response sends it; and what is held at its end (the body, the cache)."""
    renderer = metrics.MetricsRenderer()

    def scrape() -> bytes:
        body = renderer.render(fleet.own(), fleet.published, [], fleet.intervals, NOW)
        return body if isinstance(body, bytes) else str(body).encode()  # as the response

    scrape()  # fill the renderer's cache first, as a running `sshmon run` has
    fleet.poll_some(1.0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    body = scrape()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"one scrape: peak {(peak - before) / 1e6:.1f} MB over the start, "
        f"{(held - before) / 1e6:.1f} MB held at its end (the body: {len(body) / 1e6:.1f} MB)"
    )


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _release(fleet: Fleet, render: Callable[[], str], repeat: int) -> None:
    """What `api.memtrim.release` after a render costs (CPU, wall) and gives back (RSS),
    every host polled again before each render, as the route runs it."""
    from api import memtrim

    render()
    cpu, wall, back = [], [], []
    for _ in range(repeat):
        fleet.poll_some(1.0)
        render()
        before = _rss()
        started, cpu_started = time.perf_counter(), time.process_time()
        memtrim.release()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        back.append(before - _rss())
    print(
        f"malloc_trim after a render: CPU median {statistics.median(cpu) * 1e3:.1f} ms "
        f"(wall {statistics.median(wall) * 1e3:.1f}), RSS given back median "
        f"{statistics.median(back) / 2**20:.1f} MiB (min {min(back) / 2**20:.1f}, "
        f"max {max(back) / 2**20:.1f}); RSS now {_rss() / 2**20:.0f} MiB"
    )


def _samples(body: str) -> int:
    return sum(1 for line in body.splitlines() if not line.startswith("#"))


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--hosts", type=int, default=200)
    args.add_argument("--repeat", type=int, default=9)
    args.add_argument("--changed", type=float, default=1.0, help="hosts polled between renders")
    args.add_argument("--profile", type=Path, help="write a cProfile of the timed renders")
    args.add_argument("--memory", action="store_true", help="memory kept between renders")
    args.add_argument("--peak", action="store_true", help="memory peak of one scrape")
    args.add_argument("--release", action="store_true", help="malloc_trim after renders")
    opts = args.parse_args()
    fleet = Fleet(opts.hosts)
    render = _route(fleet)
    if opts.memory:
        _memory(render)
    if opts.peak:
        _peak(fleet)
        return
    if opts.release:
        _release(fleet, render, opts.repeat)
        return
    body = render()  # warm-up: the first render fills any cache
    samples = _samples(body)
    profile = cProfile.Profile() if opts.profile else None
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(opts.repeat):
        fleet.poll_some(opts.changed)
        if profile:
            profile.enable()
        started, cpu_started = time.perf_counter(), time.process_time()
        render()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        if profile:
            profile.disable()
    if profile and opts.profile:
        profile.dump_stats(opts.profile)
    median, cpu_median = statistics.median(times), statistics.median(cpu)
    api = "MetricsRenderer" if hasattr(metrics, "MetricsRenderer") else "host_samples+exposition"
    print(
        f"{opts.hosts} hosts, {samples} samples, {len(body) / 1e6:.1f} MB, "
        f"changed {opts.changed:.0%} between renders, {api}"
    )
    print(
        f"wall ms per render: median {median * 1e3:.0f}  min {min(times) * 1e3:.0f}  "
        f"max {max(times) * 1e3:.0f}  ({median / samples * 1e6:.2f} ms per 1,000 samples)"
    )
    print(
        f"CPU ms per render:  median {cpu_median * 1e3:.0f}  min {min(cpu) * 1e3:.0f}  "
        f"max {max(cpu) * 1e3:.0f}  ({cpu_median / samples * 1e6:.2f} ms per 1,000 samples)"
    )


if __name__ == "__main__":
    main()
