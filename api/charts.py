"""The host page's charts, declared as data: which catalog metrics each one draws.

Units come from the catalog (poller.catalog), so a chart and the API always agree on what a
number means; this table only groups metrics into pictures people read together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from poller.catalog import METRICS
from poller.collectors.custom import PREFIX as CUSTOM_PREFIX


@dataclass(frozen=True)
class ChartSeries:
    metric: str
    label: str  # shown in the legend; per-device series get "<dev> " in front


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    series: tuple[ChartSeries, ...]
    stacked: bool = False
    # metrics whose alert thresholds this chart draws besides its own series' (a stacked
    # chart draws none of its bands': a band's threshold is not a height on the stack)
    threshold_metrics: tuple[str, ...] = ()
    # per-device charts keep the busiest 16 devices (api/views.py MAX_DEVS): 300 veth
    # interfaces are noise. A chart whose every device matters (each core) draws them all;
    # the poller's per-host device cap (max_devices) already bounds how many there are.
    all_devs: bool = False

    @property
    def unit(self) -> str:
        # user metrics have no catalog row: their unit is unknown, drawn as plain numbers
        spec = METRICS.get(self.series[0].metric)
        return spec.unit if spec is not None else ""

    @property
    def per_dev(self) -> bool:
        # a user metric's labels are stored in dev: one line per label set
        spec = METRICS.get(self.series[0].metric)
        return spec is None or spec.dev is not None

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(s.metric for s in self.series)

    @property
    def thresholds_of(self) -> frozenset[str]:
        own = () if self.stacked else self.metrics
        return frozenset(own + self.threshold_metrics)


def _s(*pairs: tuple[str, str]) -> tuple[ChartSeries, ...]:
    return tuple(ChartSeries(m, label) for m, label in pairs)


CHARTS: Final[tuple[Chart, ...]] = (
    Chart(
        "cpu",
        "CPU by mode",
        _s(
            ("cpu_user_percent", "user"),
            ("cpu_nice_percent", "nice"),
            ("cpu_system_percent", "system"),
            ("cpu_iowait_percent", "iowait"),
            ("cpu_irq_percent", "irq"),
            ("cpu_softirq_percent", "softirq"),
            ("cpu_steal_percent", "steal"),
        ),
        stacked=True,
    ),
    # the busiest core per poll shows one pegged thread even when it hops between cores,
    # which no single line of the per-core chart below does
    Chart(
        "cpu_busy",
        "CPU busy and busiest core",
        _s(("cpu_busy_percent", "busy (all cpus)"), ("cpu_core_busy_max_percent", "busiest core")),
    ),
    Chart("cpu_cores", "CPU per core", _s(("cpu_core_busy_percent", "busy")), all_devs=True),
    Chart("load", "Load average", _s(("load1", "1 min"), ("load5", "5 min"), ("load15", "15 min"))),
    Chart(
        "memory",
        "Memory and swap",
        _s(
            ("mem_used_bytes", "used"),
            ("mem_cached_bytes", "cached"),
            ("mem_buffers_bytes", "buffers"),
            ("swap_used_bytes", "swap used"),
            ("mem_total_bytes", "total"),
        ),
    ),
    Chart(
        "disk_io",
        "Disk I/O",
        _s(
            ("disk_read_bytes_per_second", "read"),
            ("disk_write_bytes_per_second", "write"),
        ),
    ),
    Chart(
        "disk_iops",
        "Disk IOPS",
        _s(("disk_reads_per_second", "reads"), ("disk_writes_per_second", "writes")),
    ),
    Chart(
        "disk_await",
        "Disk latency (mean time per I/O)",
        _s(("disk_read_await_seconds", "read"), ("disk_write_await_seconds", "write")),
    ),
    Chart("disk_util", "Disk utilisation", _s(("disk_util_percent", "util"))),
    Chart("fs", "Filesystem used", _s(("fs_used_percent", "used"))),
    Chart(
        "net",
        "Network",
        _s(
            ("net_rx_bytes_per_second", "in"),
            ("net_tx_bytes_per_second", "out"),
        ),
    ),
    Chart(
        "tcp",
        "TCP connections",
        _s(
            ("tcp_established", "established"),
            ("tcp_time_wait", "time-wait"),
        ),
    ),
    # every state ss reports (12 at most): a CLOSE_WAIT leak or a SYN_RECV flood is one line
    # climbing while established holds still; read every 5th slow round (10 min by default)
    Chart("tcp_states", "TCP sockets by state", _s(("tcp_connections", "sockets")), all_devs=True),
    Chart(
        "tcp_errors",
        "TCP trouble",
        _s(
            ("tcp_retransmits_per_second", "retransmits"),
            ("tcp_listen_drops_per_second", "listen drops"),
            ("tcp_in_errors_per_second", "bad segments"),
        ),
    ),
    # packets the kernel threw away before any socket saw them: a full cpu backlog, or
    # connection tracking (a full table evicts or drops; the NAT insert race fails inserts)
    Chart(
        "drops",
        "Packets dropped by the kernel",
        _s(
            ("softnet_dropped_per_second", "backlog full"),
            ("conntrack_drops_per_second", "conntrack"),
            ("conntrack_early_drops_per_second", "conntrack full (evicted)"),
            ("conntrack_insert_failed_per_second", "conntrack insert failed"),
        ),
    ),
    Chart(
        "psi",
        "Pressure stall (PSI, 10 s avg)",
        _s(
            ("psi_cpu_some_avg10", "cpu some"),
            ("psi_memory_some_avg10", "memory some"),
            ("psi_memory_full_avg10", "memory full"),
            ("psi_io_some_avg10", "io some"),
            ("psi_io_full_avg10", "io full"),
        ),
    ),
)

CHART_METRICS: Final = frozenset(m for c in CHARTS for m in c.metrics)


MAX_CUSTOM_CHARTS: Final = 50  # per host page; a host's series are capped, its names too


def custom_charts(metrics: Iterable[str]) -> tuple[Chart, ...]:
    """The "custom" group: one chart per user metric (`custom:<name>`) the host has."""
    names = sorted({m for m in metrics if m.startswith(CUSTOM_PREFIX)})[:MAX_CUSTOM_CHARTS]
    return tuple(
        Chart(
            f"custom-{m.removeprefix(CUSTOM_PREFIX)}",
            f"{m.removeprefix(CUSTOM_PREFIX)} (custom)",
            _s((m, m.removeprefix(CUSTOM_PREFIX))),
        )
        for m in names
    )
