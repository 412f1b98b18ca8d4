"""meminfo: memory and swap sizes (/proc/meminfo), every field as node_exporter names it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_meminfo
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.proc_meminfo import Meminfo
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, G, MetricSpec, P

MEMINFO: Final = Source("meminfo", proc_meminfo.parse, path="/proc/meminfo")

# (metric, meminfo key) of memory gauges read as they are
_GAUGES: Final = (
    ("mem_total_bytes", "MemTotal"),
    ("mem_free_bytes", "MemFree"),
    ("mem_buffers_bytes", "Buffers"),
    ("mem_cached_bytes", "Cached"),
    ("mem_dirty_bytes", "Dirty"),
    ("swap_total_bytes", "SwapTotal"),
)

# without MemAvailable (kernel < 3.14) available/used are left out, never guessed
METRICS: Final = (
    MetricSpec("mem_total_bytes", "bytes", G, None, "Usable RAM (MemTotal)", EXACT),
    MetricSpec(
        "mem_available_bytes",
        "bytes",
        G,
        None,
        "Memory available for new work without swapping (MemAvailable, 3.14+)",
        EXACT,
    ),
    MetricSpec("mem_used_bytes", "bytes", G, None, "MemTotal - MemAvailable", EXACT),
    MetricSpec("mem_used_percent", P, P, None, "(MemTotal - MemAvailable) / MemTotal", PCT),
    MetricSpec("mem_free_bytes", "bytes", G, None, "Completely unused RAM (MemFree)", EXACT),
    MetricSpec("mem_buffers_bytes", "bytes", G, None, "Block device buffers (Buffers)", EXACT),
    MetricSpec("mem_cached_bytes", "bytes", G, None, "Page cache (Cached)", EXACT),
    MetricSpec("mem_dirty_bytes", "bytes", G, None, "Waiting to be written back (Dirty)", EXACT),
    MetricSpec("swap_total_bytes", "bytes", G, None, "Swap space (SwapTotal)", EXACT),
    MetricSpec("swap_used_bytes", "bytes", G, None, "SwapTotal - SwapFree", EXACT),
    MetricSpec("swap_used_percent", P, P, None, "Used share of swap; absent without swap", PCT),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    """Memory gauges. Without MemAvailable (before 3.14) mem_available_bytes and
    mem_used_* are left out rather than estimated from MemFree+Cached, which can be
    far off (shmem and unreclaimable slab are in Cached); free/cached still land."""
    mem = reading(r, "meminfo", Meminfo)
    if mem is None:
        return
    get = mem.get  # the hot fields, parsed with the reading
    total, avail = get("MemTotal"), get("MemAvailable")
    for name, key in _GAUGES:
        value = get(key)
        if value is not None:
            out.append((name, "", value))
    # psutil's tests show a kernel printing MemAvailable: -1; that is no measurement
    if total and avail is not None and 0 <= avail <= total:
        out.append(("mem_available_bytes", "", avail))
        out.append(("mem_used_bytes", "", total - avail))
        out.append(("mem_used_percent", "", (total - avail) * 100.0 / total))
    swap_total, swap_free = get("SwapTotal"), get("SwapFree")
    if swap_total is not None and swap_free is not None and swap_free <= swap_total:
        out.append(("swap_used_bytes", "", swap_total - swap_free))
        if swap_total > 0:  # no swap: no share to report
            out.append(("swap_used_percent", "", (swap_total - swap_free) * 100.0 / swap_total))


def samples(r: Readings) -> Iterator[Sample]:
    # node_exporter: Active(anon) -> Active_anon; kB fields get _bytes, counts do not
    mem = reading(r, "meminfo", Meminfo)
    if mem is None:
        return
    sizes, counts = mem.by_unit()  # one pass over the text, not one per mapping
    for source, suffix in ((sizes, "_bytes"), (counts, "")):
        for key, value in source.items():
            field = key.replace("(", "_").replace(")", "") + suffix
            if METRIC_NAME.fullmatch(field):
                help_ = f"Memory information field {field}."
                yield node_sample(f"memory_{field}", value, "gauge", help_)


def _node(metric: str, key: str) -> NodeName:
    return NodeName(metric, f"node_memory_{key}_bytes", f"Memory information field {key}_bytes.")


COLLECTOR: Final = Collector(
    "meminfo",
    "Memory and swap (/proc/meminfo)",
    (MEMINFO,),
    METRICS,
    gauges,
    None,
    samples,
    (
        _node("mem_total_bytes", "MemTotal"),
        _node("mem_available_bytes", "MemAvailable"),
        _node("mem_free_bytes", "MemFree"),
        _node("mem_buffers_bytes", "Buffers"),
        _node("mem_cached_bytes", "Cached"),
        _node("mem_dirty_bytes", "Dirty"),
        _node("swap_total_bytes", "SwapTotal"),
    ),
)
