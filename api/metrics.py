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
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric

from api.hub import Published
from parsers.exposition import Sample, SampleType, families, render
from parsers.exposition_render import Meta, Packed, Printed, merged_into, pack, printed
from parsers.exposition_text import LineFormatter, text_into
from poller.collectors.registry import COLLECTORS
from poller.exposition import samples
from store.rows import LatestRow

if TYPE_CHECKING:
    from store.writer import WriterStats

# Two intervals, not one: a poll that lands a little late (jitter, a slow target, a
# reconnect) must not make a healthy host blink out of /metrics between two scrapes.
STALE_INTERVALS: Final = 2.0


# catalog metric -> (node_exporter name, label for dev, help), from the collectors' NodeName
# rows: each collector says which of its stored gauges node_exporter exports as they are
FALLBACK: Final[Mapping[str, tuple[str, str | None, str]]] = {
    n.metric: (n.name, n.dev_label, n.help) for c in COLLECTORS for n in c.node_names
}
_UNTYPED: Final = frozenset(n.name for c in COLLECTORS for n in c.node_names if n.untyped)


def fresh(last_good: float, interval: float, now: float) -> bool:
    return now - last_good <= STALE_INTERVALS * interval


def host_samples(
    published: Mapping[str, Published],
    latest: Iterable[LatestRow],
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
    published: Collection[str],
    latest: Iterable[LatestRow],
    intervals: Mapping[str, float],
    now: float,
) -> list[Sample]:
    """Samples from store rows (`FALLBACK`) of fresh inventory hosts `published` (the hub's
    hosts, and the poller workers') has nothing for."""
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


def writer_families(stats: WriterStats) -> list[Metric]:
    """The store writer's counters and gauges (store.writer.WriterStats)."""
    out: list[Metric] = []
    for attr, name, counter, help_ in _WRITER:
        value = float(getattr(stats, attr) or 0)
        if counter:
            out.append(CounterMetricFamily(name, help_, value=value))
        else:
            out.append(GaugeMetricFamily(name, help_, value=value))
    return out


def local_state_families(
    components: Mapping[str, str | None], broken_parts: int | None
) -> list[Metric]:
    """Whether each part of `sshmon run` runs (alerts, web: 0 when its local state is
    unusable, the reason in the log and on the dashboard), and how many broken store parts
    the engine detached (their rows are no longer queried)."""
    up = GaugeMetricFamily(
        "sshmon_component_up",
        "1 while the part runs; 0 when its state is unusable (reason in the log and on the "
        "dashboard).",
        labels=["component"],
    )
    for name, reason in sorted(components.items()):
        up.add_metric([name], float(reason is None))
    out: list[Metric] = [up]
    if broken_parts is not None:
        out.append(
            GaugeMetricFamily(
                "sshmon_store_broken_parts",
                "Store parts the engine detached as broken (their rows are no longer queried).",
                value=float(broken_parts),
            )
        )
    return out


def exposition(own: Iterable[Metric], host_part: Iterable[Sample]) -> str:
    """sshmon's own families first, then the hosts' (one family per name across hosts).

    The reference for `MetricsRenderer.render`, which must print the same text.
    """
    return render([*own, *families(host_part)])


@dataclass(frozen=True, slots=True)
class _HostText:
    seq: int  # Published.seq of the readings it was printed from
    packed: Packed  # kept packed: a few KB a host rather than ~30 (issue 15)


class MetricsRenderer:
    """The /metrics body, re-printing only the hosts that polled since the last render.

    Prints what `exposition(own, host_samples(...))` prints, byte for byte (a test holds
    it to that): each fresh host's samples are grouped into families and printed
    (parsers/exposition_render.py `printed`) and kept with the `Published.seq` they came
    from; a host whose `seq` has not changed has not polled since and is not printed
    again. Hosts that went stale or left the inventory leave the cache at the next render.
    One renderer serves one hub (`seq` numbers that hub's publishes).

    Memory: each host's sample lines packed (parsers/exposition_render.py `Packed`: a few
    KB a host of 238 samples, ~30 KB as strings); family names and HELP texts are shared
    by hosts that export the same families. Renders one at a time: the route runs it in a
    worker thread, and two scrapes may overlap.
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
        latest: Iterable[LatestRow],
        intervals: Mapping[str, float],
        now: float,
        remote: Mapping[str, tuple[float, Packed]] | None = None,
    ) -> bytes:
        """The body as UTF-8 (`exposition(...)` encoded). `remote`: hosts polled by `sshmon
        run --workers` processes, with the time of their newest good poll and its families
        as the worker printed them, packed (sshmon/workers.py).

        Every host's part stays packed up to `merged_into`, which copies the lines' bytes
        into the body: no string per line, family or body of all hosts is ever held (the
        allocators kept ~150 KB a host of such a render's peak; issue 15)."""
        remote = remote or {}
        with self._lock:
            formatter = LineFormatter()
            kept: dict[str, _HostText] = {}
            parts: list[Packed] = []
            for host in sorted(intervals.keys() & (published.keys() | remote.keys())):
                if host not in published:
                    ts, packed = remote[host]
                    if fresh(ts, intervals[host], now):
                        parts.append(packed)  # its metas are shared by WorkerPool._shared
                    continue
                current = published[host]
                if not fresh(current.ts, intervals[host], now):
                    continue
                entry = self._hosts.get(host)
                if entry is None or entry.seq != current.seq:
                    found = samples(current.readings)
                    part = self._shared(printed(found, (("instance", host),), formatter))
                    entry = _HostText(current.seq, pack(part))
                kept[host] = entry
                parts.append(entry.packed)
            self._hosts = kept
            have = published.keys() | remote.keys()
            parts.append(pack(printed(stored_samples(have, latest, intervals, now), (), formatter)))
            body = bytearray()
            text_into(body, own)  # sshmon's own health: PrintedFamily line by line
            merged_into(body, parts)
            del parts  # the body's copy below is the peak: not with the parts' texts too
            return bytes(body)

    def _shared(self, part: Printed) -> Printed:
        """The same part, its metas shared with an earlier host's if they are equal."""
        if len(self._layouts) >= self.LAYOUTS:
            self._layouts.clear()
        metas = self._layouts.setdefault(part.metas, part.metas)
        return part if metas is part.metas else Printed(metas, part.lines)
