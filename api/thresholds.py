"""The warning/critical thresholds of the alert rules in effect for one host, per metric.

The charts draw them as horizontal lines and the overview colours values by them, so both
read the engine's own effective rules: scope decided and per-group/per-host overrides applied
by `alerts.rules.compile_host`, never a second reading of the YAML that could disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from alerts.config import AlertsConfig
from alerts.rules import compile_host
from alerts.state import Severity
from poller.catalog import METRICS
from poller.inventory import Host


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


def engine_config(alerts: Any | None) -> AlertsConfig | None:
    """The running engine's config (`AppContext.alerts`), None where no engine runs
    (`sshmon serve`)."""
    if alerts is None:
        return None
    config: AlertsConfig = alerts.engine.config
    return config
