"""The rules in effect as the API, the Rules tab and `sshmon alerts rules --json` show them:
definition, source, the hosts each covers and those it fires on now."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerts.config import AlertsConfig
from alerts.effective import Effective, SourcedRule, dump, hosts_of
from alerts.persist import Key
from alerts.rules import inhibitors
from alerts.state import AlertState, Status
from poller.inventory import Host


def condition_text(r: SourcedRule) -> str:
    """One line a person reads: `load5_per_core > 2 (warning) / 4 (critical) for 15m`."""
    rule = r.rule
    if rule.poll is not None:
        return f"poll: {rule.poll}"
    if rule.all_:
        parts = [
            f"{c.metric} > {c.above:g}" if c.above is not None else f"{c.metric} < {c.below:g}"
            for c in rule.all_
        ]
        return f"all of: {' and '.join(parts)} ({rule.severity.value})"
    what = rule.metric or ""
    if rule.reduce != "last":
        what = f"{rule.reduce}({what}, {rule.window:g}s)"
    levels = [
        f"{v:g} ({name})"
        for name, v in (("warning", rule.warning), ("critical", rule.critical))
        if v is not None
    ]
    return f"{what} {rule.op.value} {' / '.join(levels)}"


def rule_view(
    r: SourcedRule, applies: list[str], firing: set[str], held_by: tuple[str, ...] = ()
) -> dict[str, Any]:
    rule = r.rule
    return {
        "name": rule.name,
        "enabled": rule.enabled,
        "description": rule.description,
        "metric": rule.metric,
        "poll": rule.poll,
        "condition": {
            "text": condition_text(r),
            "op": rule.op.value,
            "reduce": rule.reduce,
            "window_s": rule.window,
            "devices": rule.devices,
            "exclude_devices": rule.exclude_devices,
        },
        "warning": rule.warning,
        "critical": rule.critical,
        "for_s": rule.for_,
        "severity": rule.severity.value,
        "scope": rule.scope.model_dump(),
        "host_overrides": {h: lv.model_dump(exclude_unset=True) for h, lv in rule.hosts.items()},
        "group_overrides": {g: lv.model_dump(exclude_unset=True) for g, lv in rule.groups.items()},
        "source": r.source,
        "replaces": r.replaces,
        "updated_at": r.updated_at,
        "updated_by": r.updated_by,
        "applies_to": applies,
        "firing_on": sorted(firing),
        "all": [c.model_dump(exclude_none=True) for c in rule.all_],
        # while one of these fires on a host, this rule's alerts there are held
        "inhibited_by": list(held_by),
        "definition": dump(rule),
    }


def report(
    effective: Effective, hosts: Iterable[Host], alerts: Iterable[tuple[Key, Status]]
) -> list[dict[str, Any]]:
    firing: dict[str, set[str]] = {}
    for (rule, host, _dev), status in alerts:
        if status.state is AlertState.FIRING:
            firing.setdefault(rule, set()).add(host)
    known = list(hosts)
    held = inhibitors(AlertsConfig(rules=[r.rule for r in effective.rules]))
    return [
        rule_view(
            r, hosts_of(r.rule, known), firing.get(r.rule.name, set()), held.get(r.rule.name, ())
        )
        for r in effective.rules
    ]
