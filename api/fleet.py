"""The fleet overview's rows, from latest values, last polls and the inventory. Pure.

The same `row_values` turns a live poll's points into the cells it changes, so the table
rendered by the server and the table updated over SSE cannot disagree about, say, which
interfaces count towards "net in" or which mount is the worst filesystem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from api.present import rounded
from poller.inventory import Host

# interfaces left out of the fleet's net in/out: traffic that never leaves the box (lo), and
# ifb devices, which only mirror a real interface's ingress for shaping (counted twice else);
# the host charts hide the same ones until asked (web/static/js/chartdata.js AUX_IFACE)
LOCAL_IFACES: Final = frozenset({"lo"})


def _local(dev: str) -> bool:
    return dev in LOCAL_IFACES or (dev.startswith("ifb") and dev[3:].isdigit())


STALE_POLLS: Final = 3  # a host whose last poll is this many intervals old is stale
OVERVIEW_METRICS: Final = frozenset(
    {
        "cpu_busy_percent",
        "mem_used_percent",
        "fs_used_percent",
        "load1_per_core",
        "net_rx_bytes_per_second",
        "net_tx_bytes_per_second",
        "uptime_seconds",
    }
)
SPARK_METRIC: Final = "cpu_busy_percent"
CELLS: Final = ("cpu", "mem", "fs", "fs_mount", "load", "net_in", "net_out", "uptime")


@dataclass
class Row:
    """One host's line on the overview; None means "no reading", shown as a dash."""

    name: str
    address: str
    groups: tuple[str, ...]
    labels: tuple[tuple[str, str], ...]
    state: str = "pending"
    reason: str = "not polled yet"
    last_poll: float | None = None
    alerts: int = 0
    values: dict[str, Any] = field(default_factory=dict)
    # cell -> "warning"/"critical": the value is past a threshold of a rule in effect
    levels: dict[str, str] = field(default_factory=dict)
    # "acknowledged", "silenced": some of the host's alerts are
    marks: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "groups": list(self.groups),
            "labels": dict(self.labels),
            "state": self.state,
            "reason": self.reason,
            "last_poll": self.last_poll,
            "firing_alerts": self.alerts,
            "alert_marks": list(self.marks),
            "levels": self.levels,
            **self.values,
        }


def row_values(points: Iterable[tuple[str, str, float]]) -> dict[str, Any]:
    """(metric, dev, value) triples → the overview cells they determine."""
    out: dict[str, Any] = {}
    worst: tuple[float, str] | None = None
    net_in = net_out = None
    for metric, dev, raw in points:
        # a poll has 60 to 80 points and the overview wants 7 metrics: rounding the rest
        # was most of the hub's per-poll cost (issue 15)
        if metric not in OVERVIEW_METRICS:
            continue
        value = rounded(metric, raw)
        if metric == "fs_used_percent":
            if worst is None or value > worst[0]:
                worst = (value, dev)
        elif metric == "net_rx_bytes_per_second" and not _local(dev):
            net_in = (net_in or 0.0) + value
        elif metric == "net_tx_bytes_per_second" and not _local(dev):
            net_out = (net_out or 0.0) + value
        elif metric == "cpu_busy_percent":
            out["cpu"] = value
        elif metric == "mem_used_percent":
            out["mem"] = value
        elif metric == "load1_per_core":
            out["load"] = value
        elif metric == "uptime_seconds":
            out["uptime"] = value
    if worst is not None:
        out["fs"], out["fs_mount"] = worst
    # sums of rounded rates pick up float noise again
    if net_in is not None:
        out["net_in"] = rounded("net_rx_bytes_per_second", net_in)
    if net_out is not None:
        out["net_out"] = rounded("net_tx_bytes_per_second", net_out)
    return out


def cells_set(points: Iterable[tuple[str, str, float]]) -> frozenset[str]:
    """The cells `row_values` of the same points sets (without working out their values)."""
    out = set()
    for metric, dev, _ in points:
        cell = _CELL_OF.get(metric)
        if cell is not None and not (cell in _NET_CELLS and _local(dev)):
            out.add(cell)
    if "fs" in out:
        out.add("fs_mount")
    return frozenset(out)


_CELL_OF: Final = {
    "fs_used_percent": "fs",
    "net_rx_bytes_per_second": "net_in",
    "net_tx_bytes_per_second": "net_out",
    "cpu_busy_percent": "cpu",
    "mem_used_percent": "mem",
    "load1_per_core": "load",
    "uptime_seconds": "uptime",
}
_NET_CELLS: Final = frozenset({"net_in", "net_out"})


def state_of(
    state: str, reason: str, last_poll: float, interval: float, now: float
) -> tuple[str, str]:
    """An ok host that has not been heard from in a while is `stale`, and says since when."""
    age = now - last_poll
    if state == "ok" and age > STALE_POLLS * interval:
        return "stale", f"last poll {int(age)} s ago (every {interval:g} s)"
    return state, reason


def cells_by_host(latest: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Latest rows (host, metric, dev, value) → each host's overview cells."""
    per_host: dict[str, list[tuple[str, str, float]]] = {}
    for r in latest:
        if r.metric in OVERVIEW_METRICS:
            per_host.setdefault(r.host, []).append((r.metric, r.dev, r.value))
    return {host: row_values(points) for host, points in per_host.items()}


def build(
    hosts: Iterable[Host],
    cells: Mapping[str, Mapping[str, Any]],
    polls: Mapping[str, Any],
    alerts: Mapping[str, int],
    now: float,
) -> list[Row]:
    """Rows in inventory order. `cells` from cells_by_host (or kept live by FleetCache);
    `polls` maps a host to its last poll (state, reason, ts). Hosts no longer in the
    inventory are left out."""
    rows = []
    for host in hosts:
        row = Row(
            host.name, host.address, host.groups, host.labels, alerts=alerts.get(host.name, 0)
        )
        poll = polls.get(host.name)
        if poll is not None:
            row.last_poll = poll.ts
            row.state, row.reason = state_of(
                str(poll.state), poll.reason, poll.ts, host.interval, now
            )
        row.values = dict.fromkeys(CELLS) | dict(cells.get(host.name, {}))
        rows.append(row)
    return rows
