"""The warning/critical thresholds of the alert rules in effect for one host, per metric.

The charts draw them as horizontal lines and the overview colours values by them, so both
read the engine's own effective rules: scope decided and per-group/per-host overrides applied
by `alerts.rules.compile_host`, never a second reading of the YAML that could disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from alerts.config import AlertsConfig, Rule
from alerts.rules import compile_host, device_watched, effective_levels
from alerts.state import Severity, Thresholds, level
from poller.catalog import METRICS
from poller.inventory import Host

if TYPE_CHECKING:
    from alerts.runtime import AlertsRuntime


@dataclass(frozen=True)
class Threshold:
    rule: str
    metric: str
    severity: str  # "warning" or "critical"
    op: str  # ">", ">=", "<", "<=": the side of the line that alerts
    value: float
    devices: tuple[str, ...]  # globs the rule watches; empty = every device
    exclude_devices: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["devices"] = list(self.devices)
        out["exclude_devices"] = list(self.exclude_devices)
        return out


def for_host(config: AlertsConfig | None, host: Host) -> list[Threshold]:
    """Every threshold of every metric rule that applies to `host`, warning before critical.

    Rules that reduce a series into another unit (`hours_to_zero`: hours until a filesystem
    fills) are left out: their threshold is not a value the metric's chart can show."""
    if config is None:
        return []
    out: list[Threshold] = []
    for metric, compiled in sorted(compile_host(config, host).by_metric.items()):
        spec = METRICS.get(metric)
        for c in compiled:
            if spec is None or c.unit != spec.unit:
                continue
            for severity in (Severity.WARNING, Severity.CRITICAL):
                value = c.thresholds.of(severity)
                if value is None:
                    continue
                out.append(
                    Threshold(
                        rule=c.name,
                        metric=metric,
                        severity=severity.value,
                        op=c.thresholds.op.value,
                        value=value,
                        devices=tuple(c.rule.devices),
                        exclude_devices=tuple(c.rule.exclude_devices),
                    )
                )
    return out


# overview cell -> the metric it shows (api.fleet.row_values); only rules on that very
# metric colour it: a rule on load5_per_core says nothing about the load1_per_core shown
CELL_METRICS: Final = {
    "cpu": "cpu_busy_percent",
    "mem": "mem_used_percent",
    "fs": "fs_used_percent",
    "load": "load1_per_core",
}


def cell_rules(config: AlertsConfig | None) -> dict[str, list[Rule]]:
    """cell -> the rules on its metric (work out once per page, not once per row)."""
    if config is None:
        return {}
    return {
        cell: [r for r in config.rules if r.metric == metric and r.reduce != "hours_to_zero"]
        for cell, metric in CELL_METRICS.items()
    }


def cell_levels(
    rules: Mapping[str, list[Rule]], host: Host, values: Mapping[str, Any]
) -> dict[str, str]:
    """cell -> "warning" or "critical" where the shown value is past a threshold of a rule in
    effect for the host, judged by the engine's own comparison (alerts.state.level) with the
    host's overrides. The value now, not the alert: `for:` and averaging windows are the
    engine's business, the alerts column says what fires."""
    out: dict[str, str] = {}
    for cell, cell_rules_ in rules.items():
        value = values.get(cell)
        if not isinstance(value, int | float) or math.isnan(value):
            continue
        dev = str(values.get("fs_mount") or "") if cell == "fs" else ""
        worst: Severity | None = None
        for rule in cell_rules_:
            levels = effective_levels(rule, host)
            if levels is None or (dev and not device_watched(rule, dev)):
                continue
            sev = level(float(value), Thresholds(rule.op, *levels), None)
            if sev is Severity.CRITICAL or (sev is Severity.WARNING and worst is None):
                worst = sev
        if worst is not None:
            out[cell] = worst.value
    return out


def engine_config(alerts: AlertsRuntime | None) -> AlertsConfig | None:
    """The running engine's config (`AppContext.alerts`), None where no engine runs
    (`sshmon serve`)."""
    if alerts is None:
        return None
    config: AlertsConfig = alerts.engine.config
    return config
