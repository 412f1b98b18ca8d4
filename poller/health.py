"""sshmon's own health as prometheus_client families: polls, durations, host state, drops.

Fed once per poll by the `sshmon run` sink, collected by `GET /metrics`. Plain dicts and a
fixed bucket list: the per-poll cost is a few dict updates, which matters at thousands of
polls a second; the families are only built when someone scrapes. Names are an interface
other tools rely on (DESIGN.md): `sshmon_polls_total{host,result}`,
`sshmon_poll_duration_seconds`, `sshmon_poll_schedule_lag_seconds`, `sshmon_host_up{host}`,
`sshmon_host_state{host,state}`,
`sshmon_series_dropped_total{host,family}`, `sshmon_collector_success{host,collector}`
(node_exporter's `node_scrape_collector_success`: 1 ok, 0 unavailable or failed) and
`sshmon_collector_state{host,collector,state}`, which tells those two apart.
No per-collector duration: one `tail` reads every collector's files at once, so the
target's time cannot be split by collector, and the poller's share is microseconds.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from parsers.exposition_text import PrintedFamily, go_float, label_value
from poller.collectors.status import CollectorState, CollectorStatus
from poller.points import HostState, PollStatus

# Poll durations worth telling apart: a kept session answers in ms, a reconnect in 100s of ms,
# a timeout at the host's limit (default 10 s).
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# How late a poll started after its tick: 0 on an idle loop, tens of ms under load; past 1 s
# the schedule is not being kept (issue 15 wants p99 < 1 s at 5,000 hosts).
LAG_BUCKETS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_OK = CollectorState.OK
_POLLS_HELP = "Polls by host and result."
_UP_HELP = "1 when the host's last poll succeeded."
_STATE_HELP = "1 for the state the host's last poll ended in, 0 for the others."
_DROPPED_HELP = (
    "Devices (interfaces, block devices, filesystems, mounts, cpus) left out of a poll "
    "over the per-host cap (max_devices), summed over polls."
)
_SUCCESS_HELP = "1 when the collector's newest run on the host read its source, else 0."
_COLLECTOR_STATE_HELP = (
    "1 for the state of the collector's newest run (ok, unavailable: the source does "
    "not exist on that host, failed), 0 for the others."
)


@dataclass
class PollHealth(Collector):
    polls: dict[tuple[str, str], int] = field(default_factory=dict)
    bucket_counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    duration_sum: float = 0.0
    duration_count: int = 0
    lag_counts: list[int] = field(default_factory=lambda: [0] * (len(LAG_BUCKETS) + 1))
    lag_sum: float = 0.0
    state: dict[str, HostState] = field(default_factory=dict)
    last_poll: dict[str, float] = field(default_factory=dict)
    # (host, family) -> devices left out over the per-host cap (poller/derive_cap.py)
    dropped: dict[tuple[str, str], int] = field(default_factory=dict)
    # host -> collector -> its newest status (a slow collector keeps its slow round's)
    collectors: dict[str, dict[str, CollectorStatus]] = field(default_factory=dict)

    def observe(
        self,
        status: PollStatus,
        dropped: Mapping[str, int] | None = None,
        collectors: Mapping[str, CollectorStatus] | None = None,
        lag_s: float = 0.0,
    ) -> None:
        key = (status.host, status.state.value)
        self.polls[key] = self.polls.get(key, 0) + 1
        self.bucket_counts[bisect_left(BUCKETS, status.duration_s)] += 1
        self.duration_sum += status.duration_s
        self.duration_count += 1
        self.lag_counts[bisect_left(LAG_BUCKETS, lag_s)] += 1
        self.lag_sum += lag_s
        self.state[status.host] = status.state
        self.last_poll[status.host] = status.ts
        for family, n in (dropped or {}).items():
            self.dropped[status.host, family] = self.dropped.get((status.host, family), 0) + n
        if collectors:
            self.collectors.setdefault(status.host, {}).update(collectors)

    def collectors_of(self, host: str) -> Mapping[str, CollectorStatus]:
        """The newest status of each of the host's collectors ({} before its first poll)."""
        return dict(self.collectors.get(host, {}))

    def forget(self, hosts: Iterable[str]) -> None:
        """Drop hosts removed from the inventory so their series stop being exported."""
        gone = set(hosts)
        self.polls = {k: v for k, v in self.polls.items() if k[0] not in gone}
        self.dropped = {k: v for k, v in self.dropped.items() if k[0] not in gone}
        for host in gone:
            self.collectors.pop(host, None)
            self.state.pop(host, None)
            self.last_poll.pop(host, None)

    def collect(self) -> Iterator[Metric]:
        polls = CounterMetricFamily("sshmon_polls", _POLLS_HELP, labels=("host", "result"))
        for (host, result), n in sorted(self.polls.items()):
            polls.add_metric((host, result), n)
        yield polls
        yield self._durations()
        yield self._lags()
        up = GaugeMetricFamily("sshmon_host_up", _UP_HELP, labels=("host",))
        # one series per state, 0 or 1 (node_exporter's systemd unit_state style): the
        # state is a label of its own metric so that `up` keeps one series per host
        state = GaugeMetricFamily("sshmon_host_state", _STATE_HELP, labels=("host", "state"))
        for host, current in sorted(self.state.items()):
            up.add_metric((host,), int(current is HostState.OK))
            for each in HostState:
                state.add_metric((host, each.value), int(each is current))
        yield up
        yield state
        dropped = CounterMetricFamily(
            "sshmon_series_dropped", _DROPPED_HELP, labels=("host", "family")
        )
        for (host, family), n in sorted(self.dropped.items()):
            dropped.add_metric((host, family), n)
        yield dropped
        yield from self._collector_families()

    def collect_printed(self) -> Iterator[Metric]:
        """`collect`'s families, those with series per host as `PrintedFamily`: printed
        from a snapshot of the counters when the body is rendered (off the event loop, in
        the /metrics route's thread), never held as a `Sample` per series. The same text
        (tests/parsers/test_exposition_text.py); ~130 series a host (issue 15)."""
        polls = dict(self.polls)
        hosts = dict(self.state)
        dropped = dict(self.dropped)
        collectors = {host: dict(by_name) for host, by_name in self.collectors.items()}

        def poll_lines() -> Iterator[str]:
            for (host, result), n in sorted(polls.items()):
                yield _line("sshmon_polls_total", (("host", host), ("result", result)), n)

        def up_lines() -> Iterator[str]:
            for host, current in sorted(hosts.items()):
                yield _line("sshmon_host_up", (("host", host),), int(current is HostState.OK))

        def state_lines() -> Iterator[str]:
            for host, current in sorted(hosts.items()):
                for each in HostState:
                    labels = (("host", host), ("state", each.value))
                    yield _line("sshmon_host_state", labels, int(each is current))

        def dropped_lines() -> Iterator[str]:
            for (host, family), n in sorted(dropped.items()):
                labels = (("family", family), ("host", host))
                yield _line("sshmon_series_dropped_total", labels, n)

        def success_lines() -> Iterator[str]:
            for host, by_name in sorted(collectors.items()):
                for name, st in sorted(by_name.items()):
                    labels = (("collector", name), ("host", host))
                    yield _line("sshmon_collector_success", labels, int(st.state is _OK))

        def collector_state_lines() -> Iterator[str]:
            for host, by_name in sorted(collectors.items()):
                for name, st in sorted(by_name.items()):
                    for each in CollectorState:
                        labels = (("collector", name), ("host", host), ("state", each.value))
                        yield _line("sshmon_collector_state", labels, int(each is st.state))

        yield PrintedFamily("sshmon_polls", _POLLS_HELP, "counter", poll_lines)
        yield self._durations()
        yield self._lags()
        yield PrintedFamily("sshmon_host_up", _UP_HELP, "gauge", up_lines)
        yield PrintedFamily("sshmon_host_state", _STATE_HELP, "gauge", state_lines)
        yield PrintedFamily("sshmon_series_dropped", _DROPPED_HELP, "counter", dropped_lines)
        yield PrintedFamily("sshmon_collector_success", _SUCCESS_HELP, "gauge", success_lines)
        yield PrintedFamily(
            "sshmon_collector_state", _COLLECTOR_STATE_HELP, "gauge", collector_state_lines
        )

    def _collector_families(self) -> Iterator[Metric]:
        success = GaugeMetricFamily(
            "sshmon_collector_success", _SUCCESS_HELP, labels=("host", "collector")
        )
        state = GaugeMetricFamily(
            "sshmon_collector_state", _COLLECTOR_STATE_HELP, labels=("host", "collector", "state")
        )
        for host, by_name in sorted(self.collectors.items()):
            for name, st in sorted(by_name.items()):
                success.add_metric((host, name), int(st.state is CollectorState.OK))
                for each in CollectorState:
                    state.add_metric((host, name, each.value), int(each is st.state))
        yield success
        yield state

    def _lags(self) -> Metric:
        return _histogram(
            "sshmon_poll_schedule_lag_seconds",
            "How late a poll started after its scheduled tick.",
            LAG_BUCKETS,
            self.lag_counts,
            self.lag_sum,
        )

    def _durations(self) -> Metric:
        return _histogram(
            "sshmon_poll_duration_seconds",
            "Wall time of one poll, connect included.",
            BUCKETS,
            self.bucket_counts,
            self.duration_sum,
        )


def _line(name: str, labels: tuple[tuple[str, str], ...], value: int) -> str:
    """A sample line as `LineFormatter.lines` prints it; `labels` come in the sorted order
    generate_latest prints them in, their names plain (nothing to escape)."""
    pairs = ",".join([f'{key}="{label_value(v)}"' for key, v in labels])
    return f"{name}{{{pairs}}} {go_float(value)}\n"


def _histogram(
    name: str, documentation: str, bounds: tuple[float, ...], counts: list[int], total: float
) -> Metric:
    buckets: list[tuple[str, float]] = []
    running = 0
    for bound, count in zip((*bounds, float("inf")), counts, strict=True):
        running += count
        buckets.append(("+Inf" if bound == float("inf") else str(bound), running))
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=total)
