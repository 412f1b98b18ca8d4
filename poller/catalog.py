"""The one catalog of stored metrics: name, unit, kind, dev label and meaning.

Derivation emits only names listed here (tests enforce it); storage, API docs, chart
titles/units and alert-rule validation read the same table. Names are stable API:
rename only with a migration. A metric with a `dev` label is stored once per device,
interface or mount point in the point's `dev` field; host-wide metrics have dev ''.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

Unit = Literal[
    "percent",
    "bytes",
    "bytes_per_second",
    "per_second",
    "seconds",
    "count",
    "ratio",
    "load",
]
Kind = Literal["gauge", "rate", "percent"]
DevLabel = Literal["device", "interface", "mountpoint"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One stored metric. kind: 'gauge' is read as is, 'rate' is a counter delta per
    second between two polls, 'percent' is a share (0-100) computed from one or two polls."""

    name: str
    unit: Unit
    kind: Kind
    dev: DevLabel | None
    description: str


_P: Final = "percent"
_G: Final = "gauge"
_R: Final = "rate"
_CPU = "share of all cpus' time since the previous poll, from /proc/stat jiffies"
_PSI_AVG = "kernel's 10 s running average of the share of time"
_PSI_DELTA = "share of the time since the previous poll (from the total= counter)"

_PSI_SERIES: Final[tuple[tuple[str, Kind, str], ...]] = (
    ("avg10", _G, _PSI_AVG),
    ("percent", _P, _PSI_DELTA),
)

_SPECS: Final = (
    # cpu: percent of the summed delta of all modes except guest/guest_nice (already in user/nice)
    MetricSpec("cpu_busy_percent", _P, _P, None, f"Not idle and not iowait: {_CPU}"),
    MetricSpec("cpu_user_percent", _P, _P, None, f"User mode, guest included: {_CPU}"),
    MetricSpec("cpu_nice_percent", _P, _P, None, f"Niced user mode: {_CPU}"),
    MetricSpec("cpu_system_percent", _P, _P, None, f"Kernel mode: {_CPU}"),
    MetricSpec("cpu_idle_percent", _P, _P, None, f"Idle: {_CPU}"),
    MetricSpec("cpu_iowait_percent", _P, _P, None, f"Idle with I/O outstanding: {_CPU}"),
    MetricSpec("cpu_irq_percent", _P, _P, None, f"Hard interrupts: {_CPU}"),
    MetricSpec("cpu_softirq_percent", _P, _P, None, f"Soft interrupts: {_CPU}"),
    MetricSpec("cpu_steal_percent", _P, _P, None, f"Stolen by the hypervisor: {_CPU}"),
    MetricSpec("cpu_guest_percent", _P, _P, None, f"Running guests (also in user): {_CPU}"),
    MetricSpec(
        "cpu_core_busy_max_percent",
        _P,
        _P,
        None,
        "Busiest single cpu's busy share since the previous poll (one pegged thread)",
    ),
    MetricSpec("cpu_count", "count", _G, None, "Online cpus (cpuN lines of /proc/stat)"),
    # load
    MetricSpec("load1", "load", _G, None, "1-minute load average"),
    MetricSpec("load5", "load", _G, None, "5-minute load average"),
    MetricSpec("load15", "load", _G, None, "15-minute load average"),
    MetricSpec("load1_per_core", "ratio", _G, None, "1-minute load average / online cpus"),
    MetricSpec("load5_per_core", "ratio", _G, None, "5-minute load average / online cpus"),
    MetricSpec("load15_per_core", "ratio", _G, None, "15-minute load average / online cpus"),
    MetricSpec("procs_running", "count", _G, None, "Runnable tasks (/proc/stat)"),
    MetricSpec("procs_blocked", "count", _G, None, "Tasks blocked on I/O (/proc/stat)"),
    # memory: without MemAvailable (kernel < 3.14) available/used are left out, never guessed
    MetricSpec("mem_total_bytes", "bytes", _G, None, "Usable RAM (MemTotal)"),
    MetricSpec(
        "mem_available_bytes",
        "bytes",
        _G,
        None,
        "Memory available for new work without swapping (MemAvailable, 3.14+)",
    ),
    MetricSpec("mem_used_bytes", "bytes", _G, None, "MemTotal - MemAvailable"),
    MetricSpec("mem_used_percent", _P, _P, None, "(MemTotal - MemAvailable) / MemTotal"),
    MetricSpec("mem_free_bytes", "bytes", _G, None, "Completely unused RAM (MemFree)"),
    MetricSpec("mem_buffers_bytes", "bytes", _G, None, "Block device buffers (Buffers)"),
    MetricSpec("mem_cached_bytes", "bytes", _G, None, "Page cache (Cached)"),
    MetricSpec("mem_dirty_bytes", "bytes", _G, None, "Waiting to be written back (Dirty)"),
    MetricSpec("swap_total_bytes", "bytes", _G, None, "Swap space (SwapTotal)"),
    MetricSpec("swap_used_bytes", "bytes", _G, None, "SwapTotal - SwapFree"),
    MetricSpec("swap_used_percent", _P, _P, None, "Used share of swap; absent without swap"),
    MetricSpec("swap_in_pages_per_second", "per_second", _R, None, "Pages swapped in (pswpin)"),
    MetricSpec("swap_out_pages_per_second", "per_second", _R, None, "Pages swapped out (pswpout)"),
    MetricSpec(
        "major_faults_per_second",
        "per_second",
        _R,
        None,
        "Page faults that needed I/O (pgmajfault)",
    ),
    MetricSpec(
        "oom_kills_per_second",
        "per_second",
        _R,
        None,
        "Processes killed by the OOM killer (oom_kill, 4.13+); > 0 means a kill",
    ),
    # filesystems (real ones only, bind mounts of one device counted once)
    MetricSpec("fs_size_bytes", "bytes", _G, "mountpoint", "Filesystem size (df)"),
    MetricSpec(
        "fs_avail_bytes",
        "bytes",
        _G,
        "mountpoint",
        "Space available to unprivileged users (df Available)",
    ),
    MetricSpec("fs_used_bytes", "bytes", _G, "mountpoint", "Space in use (df Used)"),
    MetricSpec(
        "fs_used_percent",
        _P,
        _P,
        "mountpoint",
        "used / (used + available), as df's Capacity (reserved blocks excluded)",
    ),
    MetricSpec("fs_inodes_total", "count", _G, "mountpoint", "Inodes (df -i)"),
    MetricSpec("fs_inodes_free", "count", _G, "mountpoint", "Free inodes (df -i IFree)"),
    MetricSpec("fs_inodes_used_percent", _P, _P, "mountpoint", "Used share of inodes"),
    # disks (node_exporter's default device filter: whole disks, no partitions or loops)
    MetricSpec("disk_read_bytes_per_second", "bytes_per_second", _R, "device", "Bytes read"),
    MetricSpec("disk_write_bytes_per_second", "bytes_per_second", _R, "device", "Bytes written"),
    MetricSpec("disk_reads_per_second", "per_second", _R, "device", "Reads completed"),
    MetricSpec("disk_writes_per_second", "per_second", _R, "device", "Writes completed"),
    MetricSpec(
        "disk_util_percent",
        _P,
        _P,
        "device",
        "Share of time the device had I/O in flight (io_time), capped at 100",
    ),
    MetricSpec(
        "disk_read_await_seconds",
        "seconds",
        _G,
        "device",
        "Mean time per read completed since the previous poll",
    ),
    MetricSpec(
        "disk_write_await_seconds",
        "seconds",
        _G,
        "device",
        "Mean time per write completed since the previous poll",
    ),
    MetricSpec(
        "disk_queue_depth",
        "ratio",
        _G,
        "device",
        "Mean requests in flight since the previous poll (weighted io_time / time)",
    ),
    # network interfaces
    MetricSpec("net_rx_bytes_per_second", "bytes_per_second", _R, "interface", "Received"),
    MetricSpec("net_tx_bytes_per_second", "bytes_per_second", _R, "interface", "Sent"),
    MetricSpec("net_rx_packets_per_second", "per_second", _R, "interface", "Packets received"),
    MetricSpec("net_tx_packets_per_second", "per_second", _R, "interface", "Packets sent"),
    MetricSpec("net_rx_errors_per_second", "per_second", _R, "interface", "Receive errors"),
    MetricSpec("net_tx_errors_per_second", "per_second", _R, "interface", "Transmit errors"),
    MetricSpec("net_rx_drops_per_second", "per_second", _R, "interface", "Received, dropped"),
    MetricSpec("net_tx_drops_per_second", "per_second", _R, "interface", "Dropped on send"),
    # kernel activity
    MetricSpec("context_switches_per_second", "per_second", _R, None, "Context switches"),
    MetricSpec("interrupts_per_second", "per_second", _R, None, "Interrupts serviced"),
    MetricSpec("forks_per_second", "per_second", _R, None, "Processes and threads created"),
    MetricSpec("uptime_seconds", "seconds", _G, None, "Time since boot (/proc/uptime)"),
    MetricSpec("boot_time_seconds", "seconds", _G, None, "Boot time, seconds since the epoch"),
    # tcp/udp/sockets
    MetricSpec(
        "tcp_retransmits_per_second",
        "per_second",
        _R,
        None,
        "TCP segments retransmitted (Tcp RetransSegs)",
    ),
    MetricSpec(
        "tcp_established",
        "count",
        _G,
        None,
        "TCP connections ESTABLISHED or CLOSE-WAIT (Tcp CurrEstab)",
    ),
    MetricSpec("tcp_active_opens_per_second", "per_second", _R, None, "Outgoing connects"),
    MetricSpec("tcp_passive_opens_per_second", "per_second", _R, None, "Accepted connects"),
    MetricSpec(
        "tcp_listen_drops_per_second",
        "per_second",
        _R,
        None,
        "SYNs dropped at a listening socket (TcpExt ListenDrops)",
    ),
    MetricSpec("tcp_in_errors_per_second", "per_second", _R, None, "Bad TCP segments received"),
    MetricSpec(
        "udp_rcvbuf_errors_per_second",
        "per_second",
        _R,
        None,
        "UDP datagrams dropped for a full receive buffer",
    ),
    MetricSpec("sockets_used", "count", _G, None, "Sockets in use (sockstat)"),
    MetricSpec("tcp_time_wait", "count", _G, None, "TCP sockets in TIME-WAIT (sockstat tw)"),
    # file handles
    MetricSpec("open_fds", "count", _G, None, "Allocated file handles (file-nr)"),
    MetricSpec("fd_max", "count", _G, None, "System-wide file handle limit (fs.file-max)"),
    MetricSpec("fd_used_percent", _P, _P, None, "open_fds / fd_max"),
    # pressure stall information (4.20+): 'some' = at least one task stalled,
    # 'full' = all non-idle tasks stalled at once
    *(
        MetricSpec(f"psi_{res}_{kind}_{suffix}", _P, mk, None, f"{res} {kind}: {desc}")
        for res, kind in (
            ("cpu", "some"),
            ("memory", "some"),
            ("memory", "full"),
            ("io", "some"),
            ("io", "full"),
        )
        for suffix, mk, desc in _PSI_SERIES
    ),
)

METRICS: Final[Mapping[str, MetricSpec]] = MappingProxyType({s.name: s for s in _SPECS})


def per_dev_metrics(dev: DevLabel | None = None) -> tuple[MetricSpec, ...]:
    """Metrics stored per device/interface/mount point (all of them, or those of one label)."""
    return tuple(s for s in METRICS.values() if s.dev is not None and dev in (None, s.dev))
