"""The one catalog of stored metrics: name, unit, kind, dev label, meaning and precision.

Derivation emits only names listed here (tests enforce it); storage, API docs, chart
titles/units and alert-rule validation read the same table. Names are stable API:
rename only with a migration. A metric with a `dev` label is stored once per device,
interface or mount point in the point's `dev` field; host-wide metrics have dev ''.
`precision` is how the writer rounds the metric's values (poller/precision.py); `slow`
marks metrics of the slow round (df), stored only at the polls that ran it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from poller.precision import Precision, decimals, exact, significant

Unit = Literal[
    "percent",
    "bytes",
    "bytes_per_second",
    "per_second",
    "seconds",
    "timestamp",  # seconds since the epoch, UTC (shown as a date, not a duration)
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
    precision: Precision
    slow: bool = False


# Precision per metric, and why (bench/README.md has the bytes each choice costs):
# - exact: what the kernel printed, as it printed it. Epoch timestamps (4 significant
#   digits moved a boot time by 15 hours), counts, byte sizes (kB-granular integers),
#   uptime (10 ms ticks) and load averages (printed with 2 decimals). They repeat or move
#   slowly, so keeping every bit costs little.
# - rates, 4 significant digits: a rate is a counter delta over the target's uptime delta,
#   and uptime ticks in 10 ms, so at a 10 s poll the interval is known to +-0.1 %; rounding
#   at the 4th significant digit (at most 0.05 %) stays below that error.
# - derived gauges (await, queue depth, load per core), 4 significant digits: means of
#   ms-resolution kernel counters over one interval, worth about as many digits as a rate;
#   relative precision, so a 0.46 ms await stays 0.46 ms where 2 decimals made it 0.
# - percentages, 0.01 points: a share on a bounded 0-100 scale; at a 10 s poll one jiffy of
#   one cpu is 0.1 point, and no threshold or chart reads below 0.01.
_EXACT: Final = exact()
_RATE: Final = significant(4)
_DERIVED: Final = significant(4)
_PCT: Final = decimals(2)


_P: Final = "percent"
_G: Final = "gauge"
_R: Final = "rate"
_CPU = "share of all cpus' time since the previous poll, from /proc/stat jiffies"
_PSI_AVG = "kernel's 10 s running average of the share of time"
_PSI_DELTA = "share of the time since the previous poll (from the total= counter)"

# the kernel prints avg10 with 2 decimals, so it is stored exactly as printed
_PSI_SERIES: Final[tuple[tuple[str, Kind, str, Precision], ...]] = (
    ("avg10", _G, _PSI_AVG, _EXACT),
    ("percent", _P, _PSI_DELTA, _PCT),
)

_SPECS: Final = (
    # cpu: percent of the summed delta of all modes except guest/guest_nice (already in user/nice)
    MetricSpec("cpu_busy_percent", _P, _P, None, f"Not idle and not iowait: {_CPU}", _PCT),
    MetricSpec("cpu_user_percent", _P, _P, None, f"User mode, guest included: {_CPU}", _PCT),
    MetricSpec("cpu_nice_percent", _P, _P, None, f"Niced user mode: {_CPU}", _PCT),
    MetricSpec("cpu_system_percent", _P, _P, None, f"Kernel mode: {_CPU}", _PCT),
    MetricSpec("cpu_idle_percent", _P, _P, None, f"Idle: {_CPU}", _PCT),
    MetricSpec("cpu_iowait_percent", _P, _P, None, f"Idle with I/O outstanding: {_CPU}", _PCT),
    MetricSpec("cpu_irq_percent", _P, _P, None, f"Hard interrupts: {_CPU}", _PCT),
    MetricSpec("cpu_softirq_percent", _P, _P, None, f"Soft interrupts: {_CPU}", _PCT),
    MetricSpec("cpu_steal_percent", _P, _P, None, f"Stolen by the hypervisor: {_CPU}", _PCT),
    MetricSpec("cpu_guest_percent", _P, _P, None, f"Running guests (also in user): {_CPU}", _PCT),
    MetricSpec(
        "cpu_core_busy_max_percent",
        _P,
        _P,
        None,
        "Busiest single cpu's busy share since the previous poll (one pegged thread)",
        _PCT,
    ),
    MetricSpec("cpu_count", "count", _G, None, "Online cpus (cpuN lines of /proc/stat)", _EXACT),
    # load
    MetricSpec("load1", "load", _G, None, "1-minute load average", _EXACT),
    MetricSpec("load5", "load", _G, None, "5-minute load average", _EXACT),
    MetricSpec("load15", "load", _G, None, "15-minute load average", _EXACT),
    MetricSpec(
        "load1_per_core", "ratio", _G, None, "1-minute load average / online cpus", _DERIVED
    ),
    MetricSpec(
        "load5_per_core", "ratio", _G, None, "5-minute load average / online cpus", _DERIVED
    ),
    MetricSpec(
        "load15_per_core", "ratio", _G, None, "15-minute load average / online cpus", _DERIVED
    ),
    MetricSpec("procs_running", "count", _G, None, "Runnable tasks (/proc/stat)", _EXACT),
    MetricSpec("procs_blocked", "count", _G, None, "Tasks blocked on I/O (/proc/stat)", _EXACT),
    # memory: without MemAvailable (kernel < 3.14) available/used are left out, never guessed
    MetricSpec("mem_total_bytes", "bytes", _G, None, "Usable RAM (MemTotal)", _EXACT),
    MetricSpec(
        "mem_available_bytes",
        "bytes",
        _G,
        None,
        "Memory available for new work without swapping (MemAvailable, 3.14+)",
        _EXACT,
    ),
    MetricSpec("mem_used_bytes", "bytes", _G, None, "MemTotal - MemAvailable", _EXACT),
    MetricSpec("mem_used_percent", _P, _P, None, "(MemTotal - MemAvailable) / MemTotal", _PCT),
    MetricSpec("mem_free_bytes", "bytes", _G, None, "Completely unused RAM (MemFree)", _EXACT),
    MetricSpec("mem_buffers_bytes", "bytes", _G, None, "Block device buffers (Buffers)", _EXACT),
    MetricSpec("mem_cached_bytes", "bytes", _G, None, "Page cache (Cached)", _EXACT),
    MetricSpec("mem_dirty_bytes", "bytes", _G, None, "Waiting to be written back (Dirty)", _EXACT),
    MetricSpec("swap_total_bytes", "bytes", _G, None, "Swap space (SwapTotal)", _EXACT),
    MetricSpec("swap_used_bytes", "bytes", _G, None, "SwapTotal - SwapFree", _EXACT),
    MetricSpec("swap_used_percent", _P, _P, None, "Used share of swap; absent without swap", _PCT),
    MetricSpec(
        "swap_in_pages_per_second", "per_second", _R, None, "Pages swapped in (pswpin)", _RATE
    ),
    MetricSpec(
        "swap_out_pages_per_second", "per_second", _R, None, "Pages swapped out (pswpout)", _RATE
    ),
    MetricSpec(
        "major_faults_per_second",
        "per_second",
        _R,
        None,
        "Page faults that needed I/O (pgmajfault)",
        _RATE,
    ),
    MetricSpec(
        "oom_kills_per_second",
        "per_second",
        _R,
        None,
        "Processes killed by the OOM killer (oom_kill, 4.13+); > 0 means a kill",
        _RATE,
    ),
    # filesystems (real ones only, bind mounts of one device counted once)
    MetricSpec(
        "fs_size_bytes", "bytes", _G, "mountpoint", "Filesystem size (df)", _EXACT, slow=True
    ),
    MetricSpec(
        "fs_avail_bytes",
        "bytes",
        _G,
        "mountpoint",
        "Space available to unprivileged users (df Available)",
        _EXACT,
        slow=True,
    ),
    MetricSpec(
        "fs_used_bytes", "bytes", _G, "mountpoint", "Space in use (df Used)", _EXACT, slow=True
    ),
    MetricSpec(
        "fs_used_percent",
        _P,
        _P,
        "mountpoint",
        "used / (used + available), as df's Capacity (reserved blocks excluded)",
        _PCT,
        slow=True,
    ),
    MetricSpec("fs_inodes_total", "count", _G, "mountpoint", "Inodes (df -i)", _EXACT, slow=True),
    MetricSpec(
        "fs_inodes_free", "count", _G, "mountpoint", "Free inodes (df -i IFree)", _EXACT, slow=True
    ),
    MetricSpec(
        "fs_inodes_used_percent", _P, _P, "mountpoint", "Used share of inodes", _PCT, slow=True
    ),
    # disks (node_exporter's default device filter: whole disks, no partitions or loops)
    MetricSpec("disk_read_bytes_per_second", "bytes_per_second", _R, "device", "Bytes read", _RATE),
    MetricSpec(
        "disk_write_bytes_per_second", "bytes_per_second", _R, "device", "Bytes written", _RATE
    ),
    MetricSpec("disk_reads_per_second", "per_second", _R, "device", "Reads completed", _RATE),
    MetricSpec("disk_writes_per_second", "per_second", _R, "device", "Writes completed", _RATE),
    MetricSpec(
        "disk_util_percent",
        _P,
        _P,
        "device",
        "Share of time the device had I/O in flight (io_time), capped at 100",
        _PCT,
    ),
    MetricSpec(
        "disk_read_await_seconds",
        "seconds",
        _G,
        "device",
        "Mean time per read completed since the previous poll",
        _DERIVED,
    ),
    MetricSpec(
        "disk_write_await_seconds",
        "seconds",
        _G,
        "device",
        "Mean time per write completed since the previous poll",
        _DERIVED,
    ),
    MetricSpec(
        "disk_queue_depth",
        "ratio",
        _G,
        "device",
        "Mean requests in flight since the previous poll (weighted io_time / time)",
        _DERIVED,
    ),
    # network interfaces
    MetricSpec("net_rx_bytes_per_second", "bytes_per_second", _R, "interface", "Received", _RATE),
    MetricSpec("net_tx_bytes_per_second", "bytes_per_second", _R, "interface", "Sent", _RATE),
    MetricSpec(
        "net_rx_packets_per_second", "per_second", _R, "interface", "Packets received", _RATE
    ),
    MetricSpec("net_tx_packets_per_second", "per_second", _R, "interface", "Packets sent", _RATE),
    MetricSpec("net_rx_errors_per_second", "per_second", _R, "interface", "Receive errors", _RATE),
    MetricSpec("net_tx_errors_per_second", "per_second", _R, "interface", "Transmit errors", _RATE),
    MetricSpec(
        "net_rx_drops_per_second", "per_second", _R, "interface", "Received, dropped", _RATE
    ),
    MetricSpec("net_tx_drops_per_second", "per_second", _R, "interface", "Dropped on send", _RATE),
    MetricSpec(
        "net_packet_loss_percent",
        _P,
        _P,
        "interface",
        "Drops and errors (both directions) as a share of all packets since the previous "
        "poll; absent while the interface moved no packets",
        _PCT,
    ),
    # kernel activity
    MetricSpec("context_switches_per_second", "per_second", _R, None, "Context switches", _RATE),
    MetricSpec("interrupts_per_second", "per_second", _R, None, "Interrupts serviced", _RATE),
    MetricSpec("forks_per_second", "per_second", _R, None, "Processes and threads created", _RATE),
    MetricSpec("uptime_seconds", "seconds", _G, None, "Time since boot (/proc/uptime)", _EXACT),
    MetricSpec(
        "boot_time_seconds", "timestamp", _G, None, "Boot time (btime), epoch seconds", _EXACT
    ),
    # tcp/udp/sockets
    MetricSpec(
        "tcp_retransmits_per_second",
        "per_second",
        _R,
        None,
        "TCP segments retransmitted (Tcp RetransSegs)",
        _RATE,
    ),
    MetricSpec(
        "tcp_established",
        "count",
        _G,
        None,
        "TCP connections ESTABLISHED or CLOSE-WAIT (Tcp CurrEstab)",
        _EXACT,
    ),
    MetricSpec("tcp_active_opens_per_second", "per_second", _R, None, "Outgoing connects", _RATE),
    MetricSpec("tcp_passive_opens_per_second", "per_second", _R, None, "Accepted connects", _RATE),
    MetricSpec(
        "tcp_listen_drops_per_second",
        "per_second",
        _R,
        None,
        "SYNs dropped at a listening socket (TcpExt ListenDrops)",
        _RATE,
    ),
    MetricSpec(
        "tcp_in_errors_per_second", "per_second", _R, None, "Bad TCP segments received", _RATE
    ),
    MetricSpec(
        "udp_rcvbuf_errors_per_second",
        "per_second",
        _R,
        None,
        "UDP datagrams dropped for a full receive buffer",
        _RATE,
    ),
    MetricSpec("sockets_used", "count", _G, None, "Sockets in use (sockstat)", _EXACT),
    MetricSpec(
        "tcp_time_wait", "count", _G, None, "TCP sockets in TIME-WAIT (sockstat tw)", _EXACT
    ),
    # file handles
    MetricSpec("open_fds", "count", _G, None, "Allocated file handles (file-nr)", _EXACT),
    MetricSpec("fd_max", "count", _G, None, "System-wide file handle limit (fs.file-max)", _EXACT),
    MetricSpec("fd_used_percent", _P, _P, None, "open_fds / fd_max", _PCT),
    # pressure stall information (4.20+): 'some' = at least one task stalled,
    # 'full' = all non-idle tasks stalled at once
    *(
        MetricSpec(f"psi_{res}_{kind}_{suffix}", _P, mk, None, f"{res} {kind}: {desc}", _PCT)
        for res, kind in (
            ("cpu", "some"),
            ("memory", "some"),
            ("memory", "full"),
            ("io", "some"),
            ("io", "full"),
        )
        for suffix, mk, desc, prec in _PSI_SERIES
    ),
)

METRICS: Final[Mapping[str, MetricSpec]] = MappingProxyType({s.name: s for s in _SPECS})


def per_dev_metrics(dev: DevLabel | None = None) -> tuple[MetricSpec, ...]:
    """Metrics stored per device/interface/mount point (all of them, or those of one label)."""
    return tuple(s for s in METRICS.values() if s.dev is not None and dev in (None, s.dev))
