"""sshmon's own health as Prometheus text: polls by host and result, poll durations, SSH state.

Fed once per poll by the `sshmon run` sink, read by `GET /metrics`. Plain dicts and a fixed
bucket list: the per-poll cost is a few dict updates, which matters at thousands of polls a
second. Names are an interface other tools rely on (DESIGN.md): `sshmon_polls_total{host,result}`,
`sshmon_poll_duration_seconds`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from poller.points import HostState, PollStatus

# Poll durations worth telling apart: a kept session answers in ms, a reconnect in 100s of ms,
# a timeout at the host's limit (default 10 s).
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class PollHealth:
    polls: dict[tuple[str, str], int] = field(default_factory=dict)
    bucket_counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    duration_sum: float = 0.0
    duration_count: int = 0
    state: dict[str, HostState] = field(default_factory=dict)
    last_poll: dict[str, float] = field(default_factory=dict)

    def observe(self, status: PollStatus) -> None:
        key = (status.host, status.state.value)
        self.polls[key] = self.polls.get(key, 0) + 1
        self.bucket_counts[bisect_left(BUCKETS, status.duration_s)] += 1
        self.duration_sum += status.duration_s
        self.duration_count += 1
        self.state[status.host] = status.state
        self.last_poll[status.host] = status.ts

    def forget(self, hosts: Iterable[str]) -> None:
        """Drop hosts removed from the inventory so their series stop being exported."""
        gone = set(hosts)
        self.polls = {k: v for k, v in self.polls.items() if k[0] not in gone}
        for host in gone:
            self.state.pop(host, None)
            self.last_poll.pop(host, None)

    def render(self, gauges: Mapping[str, float] | None = None) -> str:
        """Prometheus text exposition (0.0.4); `gauges` adds process-wide values (spool, queue)."""
        out = [
            "# HELP sshmon_polls_total Polls by host and result.",
            "# TYPE sshmon_polls_total counter",
        ]
        out += [
            f'sshmon_polls_total{{host="{_esc(h)}",result="{r}"}} {n}'
            for (h, r), n in sorted(self.polls.items())
        ]
        out += [
            "# HELP sshmon_poll_duration_seconds Wall time of one poll, connect included.",
            "# TYPE sshmon_poll_duration_seconds histogram",
        ]
        running = 0
        for bound, count in zip((*BUCKETS, float("inf")), self.bucket_counts, strict=True):
            running += count
            le = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'sshmon_poll_duration_seconds_bucket{{le="{le}"}} {running}')
        out.append(f"sshmon_poll_duration_seconds_sum {self.duration_sum:.6f}")
        out.append(f"sshmon_poll_duration_seconds_count {self.duration_count}")
        out += [
            "# HELP sshmon_host_up 1 when the host's last poll succeeded.",
            "# TYPE sshmon_host_up gauge",
        ]
        out += [
            f'sshmon_host_up{{host="{_esc(h)}",state="{s.value}"}} {int(s is HostState.OK)}'
            for h, s in sorted(self.state.items())
        ]
        for name, value in sorted((gauges or {}).items()):
            out += [f"# TYPE {name} gauge", f"{name} {value:g}"]
        return "\n".join(out) + "\n"


def _esc(value: str) -> str:
    # Label values per the exposition format: backslash, quote and newline escaped.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
