"""Rules compiled for one host: scope decided, overrides applied, template parsed, once.

The engine looks rules up by host and metric on every point, so everything that depends only
on (rule, host) is worked out here, lazily, the first time a host reports.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass, field
from typing import Final

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from alerts.config import AlertsConfig, Route, Rule, Scope
from alerts.state import Params, Severity, Thresholds
from poller.catalog import METRICS
from poller.inventory import Host

DEFAULT_METRIC_MESSAGE = (
    "{{ rule }}{% if dev %} on {{ dev }}{% endif %}: {{ value }}"
    '{% if state == "resolved" %} (threshold {{ op }} {{ threshold }})'
    "{% else %} {{ op }} {{ threshold }}{% endif %}"
)
DEFAULT_ALL_MESSAGE = (
    "{{ rule }}{% if dev %} on {{ dev }}{% endif %}: "
    "{% if description %}{{ description }}{% else %}all its conditions hold{% endif %}"
)
DEFAULT_POLL_MESSAGE = (
    "{{ rule }}{% if reason %}: {{ reason }}{% elif description %}: {{ description }}{% endif %}"
)

# target text (mount points, interface names) ends up in templates: sandbox them
_ENV = SandboxedEnvironment(autoescape=False, undefined=jinja2.ChainableUndefined)


@functools.lru_cache(maxsize=512)
def _template(source: str) -> jinja2.Template:
    # compiling is ~4 ms; rules are compiled per host, templates only once per text
    return _ENV.from_string(source)


@dataclass(slots=True)
class Compiled:
    name: str
    rule: Rule
    host: Host
    thresholds: Thresholds
    params: dict[Severity, Params]
    template: jinja2.Template
    unit: str
    labels: dict[str, str]
    _dev_ok: dict[str, bool] = field(default_factory=dict)

    def wants(self, dev: str) -> bool:
        """Device filter, cached: fnmatch per point would cost more than the rest of a poll."""
        ok = self._dev_ok.get(dev)
        if ok is None:
            ok = _dev_matches(self.rule, dev)
            if len(self._dev_ok) < 4096:  # a host inventing device names cannot grow this
                self._dev_ok[dev] = ok
        return ok


def _dev_matches(rule: Rule, dev: str) -> bool:
    if rule.devices and not any(fnmatch.fnmatchcase(dev, g) for g in rule.devices):
        return False
    return not any(fnmatch.fnmatchcase(dev, g) for g in rule.exclude_devices)


def in_scope(scope: Scope, host: Host) -> bool:
    if host.name in scope.exclude:
        return False
    if not (scope.hosts or scope.groups or scope.labels):
        return True
    if host.name in scope.hosts or any(g in scope.groups for g in host.groups):
        return True
    labels = dict(host.labels)
    return bool(scope.labels) and all(labels.get(k) == v for k, v in scope.labels.items())


def route_matches(
    route: Route, severity: Severity | None, host: Host, labels: dict[str, str]
) -> bool:
    """Empty lists match anything; `labels` match the host's labels or the rule's."""
    if route.severity and severity not in route.severity:
        return False
    if route.groups and not any(g in route.groups for g in host.groups):
        return False
    merged = {**dict(host.labels), **labels}
    return all(merged.get(k) == v for k, v in route.labels.items())


def effective_levels(rule: Rule, host: Host) -> tuple[float | None, float | None] | None:
    """(warning, critical) of `rule` for `host`, group then host overrides applied; None when
    the rule does not cover the host. Cheap (no compiling): the overview asks per row."""
    if not in_scope(rule.scope, host):
        return None
    warning, critical = rule.warning, rule.critical
    overrides = [rule.groups[g] for g in host.groups if g in rule.groups]
    if host.name in rule.hosts:
        overrides.append(rule.hosts[host.name])
    for levels in overrides:
        warning = levels.warning if "warning" in levels.model_fields_set else warning
        critical = levels.critical if "critical" in levels.model_fields_set else critical
    return warning, critical


def device_watched(rule: Rule, dev: str) -> bool:
    """The rule's device globs (`devices`, `exclude_devices`) let `dev` in."""
    return _dev_matches(rule, dev)


def compile_rule(rule: Rule, host: Host, config: AlertsConfig) -> Compiled | None:
    levels = effective_levels(rule, host)
    if levels is None:
        return None
    warning, critical = levels
    default = (
        DEFAULT_METRIC_MESSAGE
        if rule.metric
        else DEFAULT_ALL_MESSAGE
        if rule.all_
        else DEFAULT_POLL_MESSAGE
    )
    spec = METRICS.get(rule.metric or "")
    unit = "hours" if rule.reduce == "hours_to_zero" else (spec.unit if spec else "")
    return Compiled(
        name=rule.name,
        rule=rule,
        host=host,
        thresholds=_one_thresholds(Thresholds(rule.op, warning, critical, rule.hysteresis)),
        params=_one_params({sev: _params(rule, host, config, sev) for sev in Severity}),
        template=_template(rule.message or default),
        unit=unit,
        labels=dict(rule.labels),
    )


# A rule's levels and timing are mostly the same on every host: compiled per host, their
# copies were ~8 KB a host of the alert engine's memory (issue 15). Equal values are shared
# instead (they are never changed once compiled); a table that fills up (thousands of
# distinct per-host overrides) starts again, which costs sharing, not correctness.
SHARED_CAP: Final = 4096
_levels: dict[Thresholds, Thresholds] = {}
_timings: dict[tuple[tuple[Severity, Params], ...], dict[Severity, Params]] = {}


def _one_thresholds(value: Thresholds) -> Thresholds:
    if len(_levels) >= SHARED_CAP:
        _levels.clear()
    return _levels.setdefault(value, value)


def _one_params(params: dict[Severity, Params]) -> dict[Severity, Params]:
    if len(_timings) >= SHARED_CAP:
        _timings.clear()
    return _timings.setdefault(tuple(params.items()), params)


def _params(rule: Rule, host: Host, config: AlertsConfig, severity: Severity) -> Params:
    """Repeat: the rule's own, else the shortest of the routes it would reach, else global."""
    repeat = rule.repeat
    if repeat is None:
        route_repeats = [
            r.repeat
            for r in config.routes
            if r.repeat is not None and route_matches(r, severity, host, rule.labels)
        ]
        repeat = min(route_repeats) if route_repeats else config.repeat
    return Params(
        for_s=rule.for_,
        resolve_after_s=rule.resolve_after,
        repeat_s=repeat,
        flap_window_s=config.flap.window,
        flap_changes=config.flap.changes,
    )


def inhibitors(config: AlertsConfig) -> dict[str, tuple[str, ...]]:
    """rule -> the rules that hold it while they fire on the same host, from both sides:
    `inhibits:` on the inhibiting rule and `inhibited_by:` on the held one."""
    out: dict[str, list[str]] = {r.name: list(r.inhibited_by) for r in config.rules}
    for r in config.rules:
        for held in r.inhibits:
            out.setdefault(held, []).append(r.name)
    return {name: tuple(dict.fromkeys(by)) for name, by in out.items() if by}


@dataclass(slots=True)
class HostRules:
    """Every rule that applies to one host, metric rules indexed by metric."""

    by_metric: dict[str, tuple[Compiled, ...]]
    by_poll: dict[str, Compiled]
    by_name: dict[str, Compiled]


def compile_host(config: AlertsConfig, host: Host) -> HostRules:
    by_metric: dict[str, list[Compiled]] = {}
    by_poll: dict[str, Compiled] = {}
    by_name: dict[str, Compiled] = {}
    for rule in config.rules:
        compiled = compile_rule(rule, host, config)
        if compiled is None:
            continue
        by_name[rule.name] = compiled
        if rule.on_points:
            # a composite rule is looked at whenever any of its metrics arrives
            for metric in dict.fromkeys(rule.metrics()):
                by_metric.setdefault(metric, []).append(compiled)
        elif rule.poll is not None:
            by_poll[rule.poll] = compiled
    return HostRules({m: tuple(c) for m, c in by_metric.items()}, by_poll, by_name)
