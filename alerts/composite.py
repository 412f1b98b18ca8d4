"""Composite (`all:`) rules: the latest value of each series they read, and which values
meet on one host and device. No state machine here: the engine steps the result.

A condition on a per-device metric pairs with the same device of the others; a host-wide
metric (load, memory) pairs with every device. A value older than `gone_after` is no value,
so a rule is never judged on a series that stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alerts.config import Rule
from poller.catalog import METRICS
from poller.points import Point

MAX_DEVICES = 4096  # per (host, metric): a host inventing device names cannot grow this


@dataclass(slots=True)
class Latest:
    """(host, metric, dev) -> (ts, value) of the series composite rules read."""

    values: dict[tuple[str, str, str], tuple[float, float]] = field(default_factory=dict)
    devices: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def remember(self, p: Point) -> None:
        self.values[(p.host, p.metric, p.dev)] = (p.ts, p.value)
        if p.dev:
            devs = self.devices.setdefault((p.host, p.metric), set())
            if len(devs) < MAX_DEVICES:
                devs.add(p.dev)

    def keep_hosts(self, hosts: set[str]) -> None:
        self.values = {k: v for k, v in self.values.items() if k[0] in hosts}
        self.devices = {k: v for k, v in self.devices.items() if k[0] in hosts}

    def to_judge(self, rule: Rule, host: str, seen: set[str]) -> list[str]:
        """The devices to judge after a poll that brought values for devices `seen`
        ("" alone for a rule whose metrics are all host-wide)."""
        per_device = _per_device(rule)
        if not per_device:
            return [""]
        return sorted({d for d in seen if d} or self.devices.get((host, per_device[0]), set()))

    def judge(
        self, rule: Rule, host: str, dev: str, now: float, gone_after: float
    ) -> tuple[bool, float] | None:
        """(every condition holds, the first condition's value), or None when a condition
        has no recent value (unknown: neither fine nor bad)."""
        per_device = _per_device(rule)
        values = []
        for cond in rule.all_:
            got = self.values.get((host, cond.metric, dev if cond.metric in per_device else ""))
            if got is None or now - got[0] > gone_after:
                return None
            values.append(got[1])
        return all(c.holds(v) for c, v in zip(rule.all_, values, strict=True)), values[0]


def _per_device(rule: Rule) -> list[str]:
    return [m for m in rule.metrics() if (spec := METRICS.get(m)) and spec.dev is not None]
