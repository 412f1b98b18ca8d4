"""`GET /metrics`: sshmon's own health plus every answering host's latest readings.

Built on prometheus_client: sshmon's health is a collector (poller/health.py), the host
part becomes families through parsers.exposition_render. Two sources for the host part,
best first:
1. the raw readings of each host's newest good poll, kept by the hub when the poller
   publishes them: named by parsers.exposition, so names, labels and values are exactly
   what node_exporter would export (counters stay counters);
2. for hosts the hub has no readings for (an API replica that only reads the store, or
   the first seconds after a restart): the latest stored gauges that have an exact
   node_exporter equivalent (`FALLBACK`). Stored rates and percentages have none and are
   left out rather than exported under a name that would mean something else.

A host whose last good poll is older than `STALE_INTERVALS` of its poll interval exports no
readings at all: a dead host's last `node_load1` must not look alive forever. Its
`sshmon_host_up` and `sshmon_host_state` still say what happened.

Every host's samples carry `instance="<host>"`, the label node_exporter dashboards select
on; the scrape config sets `honor_labels: true` so Prometheus keeps it instead of renaming
it `exported_instance` (deploy/prometheus/prometheus.yml, README).

The route prints through `MetricsRenderer`: the same text as `exposition(own,
host_samples(...))`, i.e. `generate_latest` of those families, but each host is printed
only when it has polled since the last scrape, and without prometheus_client's per-sample
overhead (2,000 hosts: 7.2 s of CPU a scrape before, 2.6 s now; bench/README.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from api.hub import Published
from parsers.exposition import Sample, SampleType, families, render, samples
from parsers.exposition_render import Meta, Printed, merged, printed
from parsers.exposition_text import LineFormatter

# Two intervals, not one: a poll that lands a little late (jitter, a slow target, a
# reconnect) must not make a healthy host blink out of /metrics between two scrapes.
STALE_INTERVALS: Final = 2.0


# catalog metric -> (node_exporter name, label for dev, help)
FALLBACK: Final[Mapping[str, tuple[str, str | None, str]]] = {
    "load1": ("node_load1", None, "1m load average."),
    "load5": ("node_load5", None, "5m load average."),
    "load15": ("node_load15", None, "15m load average."),
    "mem_total_bytes": (
        "node_memory_MemTotal_bytes",
        None,
        "Memory information field MemTotal_bytes.",
    ),
    "mem_available_bytes": (
        "node_memory_MemAvailable_bytes",
        None,
        "Memory information field MemAvailable_bytes.",
    ),
    "mem_free_bytes": (
        "node_memory_MemFree_bytes",
        None,
        "Memory information field MemFree_bytes.",
    ),
    "mem_buffers_bytes": (
        "node_memory_Buffers_bytes",
        None,
        "Memory information field Buffers_bytes.",
    ),
    "mem_cached_bytes": (
        "node_memory_Cached_bytes",
        None,
        "Memory information field Cached_bytes.",
    ),
    "mem_dirty_bytes": ("node_memory_Dirty_bytes", None, "Memory information field Dirty_bytes."),
    "swap_total_bytes": (
        "node_memory_SwapTotal_bytes",
        None,
        "Memory information field SwapTotal_bytes.",
    ),
    "fs_size_bytes": ("node_filesystem_size_bytes", "mountpoint", "Filesystem size in bytes."),
    "fs_avail_bytes": (
        "node_filesystem_avail_bytes",
        "mountpoint",
        "Filesystem space available to non-root users in bytes.",
    ),
    "fs_inodes_total": ("node_filesystem_files", "mountpoint", "Filesystem total file nodes."),
    "fs_inodes_free": (
        "node_filesystem_files_free",
        "mountpoint",
        "Filesystem total free file nodes.",
    ),
    "boot_time_seconds": ("node_boot_time_seconds", None, "Node boot time, in unixtime."),
    "procs_running": ("node_procs_running", None, "Number of processes in runnable state."),
    "procs_blocked": (
        "node_procs_blocked",
        None,
        "Number of processes blocked waiting for I/O to complete.",
    ),
    "open_fds": ("node_filefd_allocated", None, "File descriptor statistics: allocated."),
    "fd_max": ("node_filefd_maximum", None, "File descriptor statistics: maximum."),
    "tcp_established": ("node_netstat_Tcp_CurrEstab", None, "Statistic TcpCurrEstab."),
    "sockets_used": ("node_sockstat_sockets_used", None, "Number of IPv4 sockets in use."),
    "tcp_time_wait": ("node_sockstat_TCP_tw", None, "Number of TCP sockets in state tw."),
}
_UNTYPED: Final = frozenset({"node_netstat_Tcp_CurrEstab"})


def fresh(last_good: float, interval: float, now: float) -> bool:
    return now - last_good <= STALE_INTERVALS * interval


def host_samples(
    published: Mapping[str, Published],
    latest: Iterable[Any],
    intervals: Mapping[str, float],
    now: float,
) -> list[Sample]:
    """Samples of every fresh inventory host (`intervals`: host -> poll interval, seconds).

    From published readings where the hub has them, else from `latest` (store rows).
    """
    out: list[Sample] = []
    for host in sorted(intervals.keys() & published.keys()):
        current = published[host]
        if fresh(current.ts, intervals[host], now):
            out.extend(_with_instance(host, samples(current.readings)))
    out.extend(stored_samples(published, latest, intervals, now))
    return out


def stored_samples(
    published: Mapping[str, Published],
    latest: Iterable[Any],
    intervals: Mapping[str, float],
    now: float,
) -> list[Sample]:
    """Samples from store rows (`FALLBACK`) of fresh inventory hosts the hub has nothing for."""
    out: list[Sample] = []
    rows = [r for r in latest if r.host in intervals and r.host not in published]
    # slow-round rows (df) keep the time they were measured: a host's last good poll is
    # its newest row, not each row's own time
    newest: dict[str, float] = {}
    for row in rows:
        newest[row.host] = max(newest.get(row.host, row.ts), row.ts)
    for row in rows:
        spec = FALLBACK.get(row.metric)
        if spec is None or not fresh(newest[row.host], intervals[row.host], now):
            continue
        name, dev_label, help_ = spec
        labels: tuple[tuple[str, str], ...] = (("instance", row.host),)
        if dev_label:
            labels += ((dev_label, row.dev),)
        kind: SampleType = "untyped" if name in _UNTYPED else "gauge"
        out.append(Sample(name, labels, row.value, kind, help_))
    return out


def _with_instance(host: str, items: Iterable[Sample]) -> Iterable[Sample]:
    instance = (("instance", host),)
    for s in items:
        labels = instance + tuple(kv for kv in s.labels if kv[0] != "instance")
        yield Sample(s.name, labels, s.value, s.type, s.help)


# WriterStats field -> (name, counter?, HELP); counters' names end in _total as promtool wants
_WRITER: Final = (
    ("queued_rows", "sshmon_writer_queued_rows", False, "Rows waiting for the next insert."),
    ("rows_written", "sshmon_writer_rows_written_total", True, "Rows inserted into the store."),
    ("batches_written", "sshmon_writer_batches_written_total", True,
     "Batches inserted into the store."),
    ("last_insert_latency_s", "sshmon_writer_last_insert_seconds", False,
     "Wall time of the newest insert (0 before the first)."),
    ("last_batch_rows", "sshmon_writer_last_batch_rows", False, "Rows in the newest insert."),
    ("failed_inserts", "sshmon_writer_failed_inserts_total", True,
     "Inserts the store refused or did not answer."),
    ("spooled_batches", "sshmon_spool_batches", False,
     "Batches waiting on disk while the store is away."),
    ("spooled_bytes", "sshmon_spool_bytes", False, "Bytes of the on-disk spool."),
    ("dropped_rows", "sshmon_dropped_rows_total", True,
     "Rows lost: queue or spool full, or rows the store rejected."),
)  # fmt: skip


def writer_families(stats: Any) -> list[Metric]:
    """The store writer's counters and gauges (store.writer.WriterStats)."""
    out: list[Metric] = []
    for attr, name, counter, help_ in _WRITER:
        value = float(getattr(stats, attr) or 0)
        if counter:
            out.append(CounterMetricFamily(name, help_, value=value))
        else:
            out.append(GaugeMetricFamily(name, help_, value=value))
    return out


def exposition(own: Iterable[Metric], host_part: Iterable[Sample]) -> str:
    """sshmon's own families first, then the hosts' (one family per name across hosts).

    The reference for `MetricsRenderer.render`, which must print the same text.
    """
    return render([*own, *families(host_part)])


@dataclass(frozen=True, slots=True)
class _HostText:
    seq: int  # Published.seq of the readings it was printed from
    printed: Printed


class MetricsRenderer:
    """The /metrics body, re-printing only the hosts that polled since the last render.

    Prints what `exposition(own, host_samples(...))` prints, byte for byte (a test holds
    it to that): each fresh host's samples are grouped into families and printed
    (parsers/exposition_render.py `printed`) and kept with the `Published.seq` they came
    from; a host whose `seq` has not changed has not polled since and is not printed
    again. Hosts that went stale or left the inventory leave the cache at the next render.
    One renderer serves one hub (`seq` numbers that hub's publishes).

    Memory: about one body of text (each host's sample lines, ~30 KB a host of 238
    samples); family names and HELP texts are shared by hosts that export the same
    families. Renders one at a time: the route runs it in a worker thread, and two
    scrapes may overlap.
    """

    # distinct family layouts kept for sharing; past this (hostile or very mixed targets)
    # the table starts again, which costs sharing, not correctness
    LAYOUTS = 1024

    def __init__(self) -> None:
        self._hosts: dict[str, _HostText] = {}
        self._layouts: dict[tuple[Meta, ...], tuple[Meta, ...]] = {}
        self._lock = threading.Lock()

    def render(
        self,
        own: Iterable[Metric],
        published: Mapping[str, Published],
        latest: Iterable[Any],
        intervals: Mapping[str, float],
        now: float,
    ) -> str:
        with self._lock:
            formatter = LineFormatter()
            kept: dict[str, _HostText] = {}
            parts: list[Printed] = []
            for host in sorted(intervals.keys() & published.keys()):
                current = published[host]
                if not fresh(current.ts, intervals[host], now):
                    continue
                entry = self._hosts.get(host)
                if entry is None or entry.seq != current.seq:
                    found = samples(current.readings)
                    entry = _HostText(
                        current.seq, self._shared(printed(found, (("instance", host),), formatter))
                    )
                kept[host] = entry
                parts.append(entry.printed)
            self._hosts = kept
            parts.append(printed(stored_samples(published, latest, intervals, now), (), formatter))
            return render(own) + merged(parts)

    def _shared(self, part: Printed) -> Printed:
        """The same part, its metas shared with an earlier host's if they are equal."""
        if len(self._layouts) >= self.LAYOUTS:
            self._layouts.clear()
        metas = self._layouts.setdefault(part.metas, part.metas)
        return part if metas is part.metas else Printed(metas, part.lines)
