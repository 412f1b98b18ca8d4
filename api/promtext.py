"""`GET /metrics`: sshmon's own health plus every host's latest readings, node_exporter names.

Two sources for the host part, best first:
1. the raw readings of each host's newest poll, kept by the hub when the poller publishes
   them: rendered by parsers.exposition, so names, labels and values are exactly what
   node_exporter would export (counters stay counters);
2. for hosts the hub has no readings for (an API replica that only reads the store, or
   the first seconds after a restart): the latest stored gauges that have an exact
   node_exporter equivalent (`FALLBACK`). Stored rates and percentages have none and are
   left out rather than exported under a name that would mean something else.
Every host's samples carry `instance="<host>"`; families are merged across hosts so each
has one HELP/TYPE, as the text format requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from parsers.exposition import Sample, SampleType, render_prometheus, samples

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


def _with_instance(host: str, items: Iterable[Sample]) -> Iterable[Sample]:
    instance = (("instance", host),)
    for s in items:
        labels = instance + tuple(kv for kv in s.labels if kv[0] != "instance")
        yield Sample(s.name, labels, s.value, s.type, s.help)


def host_samples(
    readings: Mapping[str, Mapping[str, object]], latest: Iterable[Any], hosts: Iterable[str]
) -> list[Sample]:
    """Samples of every inventory host: from readings where we have them, else from `latest`."""
    wanted = set(hosts)
    out: list[Sample] = []
    for host in sorted(wanted & readings.keys()):
        out.extend(_with_instance(host, samples(readings[host])))
    for row in latest:
        if row.host not in wanted or row.host in readings:
            continue
        spec = FALLBACK.get(row.metric)
        if spec is None:
            continue
        name, dev_label, help_ = spec
        labels: tuple[tuple[str, str], ...] = (("instance", row.host),)
        if dev_label:
            labels += ((dev_label, row.dev),)
        kind: SampleType = "untyped" if name in _UNTYPED else "gauge"
        out.append(Sample(name, labels, row.value, kind, help_))
    return out


def render(self_metrics: str, host_part: Iterable[Sample]) -> str:
    head = self_metrics if not self_metrics or self_metrics.endswith("\n") else self_metrics + "\n"
    return head + render_prometheus(host_part)


def local_state_values(
    components: Mapping[str, str | None], broken_parts: int | None
) -> list[tuple[str, str, dict[str, str], float]]:
    """(name, help, labels, value) of the local-state gauges: whether each part runs, and how
    many broken store parts the engine detached. Values only, so they port to any renderer."""
    out: list[tuple[str, str, dict[str, str], float]] = [
        ("sshmon_component_up", "1 while the part runs; 0 when its state is unusable "
         "(reason in the log and on the dashboard).", {"component": name},
         float(reason is None))
        for name, reason in sorted(components.items())
    ]
    if broken_parts is not None:
        out.append(("sshmon_store_broken_parts", "Store parts the engine detached as broken "
                    "(their rows are no longer queried).", {}, float(broken_parts)))
    return out


def render_local_state(values: Iterable[tuple[str, str, dict[str, str], float]]) -> str:
    lines: list[str] = []
    seen: set[str] = set()
    for name, help_, labels, value in values:
        if name not in seen:
            seen.add(name)
            lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
        label_text = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
    return "".join(line + "\n" for line in lines)
