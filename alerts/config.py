"""The `alerts:` section of the config file: rules, routes and the knobs around them.

Validated through poller.yamlfile, so a bad rule says `inventory.yaml:42: alerts.rules.3.metric:
rule 'cpu': unknown metric 'cpu_bsy_percent' (did you mean cpu_busy_percent?)`; what needs
the inventory or the catalog is checked in alerts/checks.py.
Shipped rules (alerts.defaults) are merged in first: `defaults: {cpu_busy: false}` turns one
off, `defaults: {cpu_busy: {warning: 95}}` changes it, `defaults: false` drops them all, and a
rule of your own with a shipped rule's name replaces it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import jinja2
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from alerts.state import Op, Severity
from poller.yamlfile import ConfigError, Document, validate

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
Loc = tuple[str | int, ...]


def parse_duration(value: Any) -> Any:
    """Seconds from 30, '30s', '5m', '4h' or '1d' (other types pass through to pydantic)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("expected a duration like 30, '30s', '5m', '4h' or '1d'")
        return float(match.group(1)) * _UNIT_S[match.group(2)]
    return value


Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0, le=30 * 86400)]
PollCondition = Literal["down", "auth_failed", "host_key_changed", "host_key_unknown", "stale"]
Reduce = Literal["last", "avg", "hours_to_zero"]


class Levels(BaseModel):
    """Per-host or per-group thresholds that replace the rule's."""

    model_config = ConfigDict(extra="forbid")
    warning: float | None = None
    critical: float | None = None


class Scope(BaseModel):
    """Which hosts a rule covers: all when every list is empty; otherwise any listed host, any
    host in a listed group, or any host carrying all the listed labels; minus `exclude`."""

    model_config = ConfigDict(extra="forbid")
    hosts: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list)


class Condition(BaseModel):
    """One part of a composite rule: `{metric: cpu_iowait_percent, above: 20}`."""

    model_config = ConfigDict(extra="forbid")
    metric: str
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Condition:
        if (self.above is None) == (self.below is None):
            raise ValueError("a condition needs exactly one of `above:` or `below:`")
        return self

    def holds(self, value: float) -> bool:
        if self.above is not None:
            return value > self.above
        return self.below is not None and value < self.below


class Rule(BaseModel):
    """A metric rule (`metric:` and thresholds), a poll rule (`poll:`), or a composite rule
    (`all:` conditions that must hold together on one host, and on one device where the
    metrics have devices; it fires at `severity:`).

    `inhibits: [b]` (or `inhibited_by: [a]` on b): while this rule fires on a host, b's
    alerts on that host are held (not sent, shown as "inhibited by a") until it stops."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # unique; shipped rules' names are in docs/alert-rules.md
    name: str = Field(pattern=NAME_PATTERN)
    # shown with the alert and in notifications
    description: str = ""
    # false keeps the rule in the file but never evaluates it
    enabled: bool = True
    # a metric from docs/alert-rules.md (one of metric: or poll:)
    metric: str | None = None
    # a poll outcome instead of a metric (one of metric: or poll:)
    poll: PollCondition | None = None
    all_: list[Condition] = Field(default_factory=list, alias="all", max_length=8)
    inhibits: list[str] = Field(default_factory=list)
    inhibited_by: list[str] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list, description="globs; empty = every device")
    # globs of devices, interfaces or mount points to skip
    exclude_devices: list[str] = Field(default_factory=list)
    # how the value compares with the thresholds
    op: Op = Op.GT
    # last value, average over `window`, or hours until a linear fit reaches zero
    reduce: Reduce = "last"
    # how far back `reduce` looks
    window: Duration = 0.0
    # threshold for severity warning
    warning: float | None = None
    # threshold for severity critical
    critical: float | None = None
    # the value must come back past the threshold by this much to clear
    hysteresis: float = Field(default=0.0, ge=0)
    # the condition must hold this long before the alert fires (pending until then)
    for_: Duration = Field(default=0.0, alias="for")
    # the condition must stay false this long before the alert resolves
    resolve_after: Duration = 0.0
    failures: int = Field(default=3, ge=1, le=1000, description="poll: down: failed polls in a row")
    # severity of a poll: rule (metric rules take it from the threshold crossed)
    severity: Severity = Severity.CRITICAL
    # reminder interval while firing; default: the routes' or alerts.repeat
    repeat: Duration | None = None
    # which hosts the rule covers (default: all)
    scope: Scope = Field(default_factory=Scope)
    hosts: dict[str, Levels] = Field(default_factory=dict, description="per-host thresholds")
    groups: dict[str, Levels] = Field(default_factory=dict, description="per-group thresholds")
    # added to the alert; routes match on them
    labels: dict[str, str] = Field(default_factory=dict)
    # jinja2 template of the notification text
    message: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        kinds = [
            k for k, v in (("metric", self.metric), ("poll", self.poll), ("all", self.all_)) if v
        ]
        if len(kinds) != 1:
            raise ValueError("a rule needs exactly one of `metric:`, `poll:` or `all:`")
        if self.all_ and len(self.all_) < 2:
            raise ValueError("`all:` takes two or more conditions (one is a `metric:` rule)")
        if self.all_ and (self.warning is not None or self.critical is not None):
            raise ValueError(
                "an `all:` rule fires at its `severity:`; thresholds go in its conditions "
                "(`above:`/`below:`), not in `warning:`/`critical:`"
            )
        if self.metric is not None and self.warning is None and self.critical is None:
            raise ValueError("a metric rule needs `warning:` and/or `critical:`")
        if self.reduce != "last" and self.window <= 0:
            raise ValueError(f"`reduce: {self.reduce}` needs a `window:`")
        if self.message is not None:
            try:
                jinja2.Environment().parse(self.message)
            except jinja2.TemplateSyntaxError as exc:
                raise ValueError(f"message template: {exc.message} (line {exc.lineno})") from exc
        return self

    @property
    def on_points(self) -> bool:
        """Judged on polled values (metric and composite rules), not on poll results."""
        return self.poll is None

    def metrics(self) -> list[str]:
        """Every metric this rule reads."""
        return [c.metric for c in self.all_] if self.all_ else [self.metric] if self.metric else []


class GroupKey(StrEnum):
    RULE = "rule"
    HOST = "host"


class Route(BaseModel):
    """Where notifications go. Empty match lists match everything.

    `urls` are Apprise URLs, or `env:NAME` to read one (or several, space separated) from the
    environment; `tags` pick entries of the Apprise config file, so secrets stay out of here."""

    model_config = ConfigDict(extra="forbid")
    # unique route name
    name: str = Field(pattern=NAME_PATTERN)
    # Apprise URLs, or env:NAME to read them from the environment
    urls: list[str] = Field(default_factory=list)
    # tags of entries in the Apprise config file (alerts.apprise_config)
    tags: list[str] = Field(default_factory=list)
    # only these severities (default: all)
    severity: list[Severity] = Field(default_factory=list)
    # only hosts in these inventory groups (default: all)
    groups: list[str] = Field(default_factory=list)
    # only alerts carrying all these labels
    labels: dict[str, str] = Field(default_factory=dict)
    # reminder interval for this route's alerts
    repeat: Duration | None = None
    # Alertmanager's grouping: changes of alerts sharing these keys go out as one message,
    # the first `group_wait` after the group's first change, then at most every
    # `group_interval` (an outage of 50 hosts is one page, not 50). [] = one group per route.
    group_by: list[GroupKey] = Field(default_factory=lambda: [GroupKey.RULE])
    # wait this long after a group's first change before sending
    group_wait: Duration = 10.0
    # then send a group's changes at most this often
    group_interval: Duration = 60.0

    @model_validator(mode="after")
    def _has_target(self) -> Route:
        if not self.urls and not self.tags:
            raise ValueError("a route needs `urls:` or `tags:` (from the Apprise config file)")
        return self


class Flap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: int = Field(default=4, ge=0, description="fire/resolve changes in `window` (0: off)")
    # time over which state changes are counted
    window: Duration = 1800.0


class Retry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # delivery attempts per message
    attempts: int = Field(default=5, ge=1, le=50)
    # wait before the first retry, doubled each time
    first_delay: Duration = 2.0
    # longest wait between retries
    max_delay: Duration = 300.0
    # a message nobody could take for this long is given up, with the reason stored and logged
    give_up_after: Duration = 3600.0


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # false: no rules are evaluated and nothing is sent
    enabled: bool = True
    # shipped rules: true, false, or per-rule false / patches (docs/alert-rules.md)
    defaults: bool | dict[str, bool | dict[str, Any]] = True
    # your own rules; one with a shipped rule's name replaces it
    rules: list[Rule] = Field(default_factory=list)
    # where notifications go; an alert goes to every route it matches
    routes: list[Route] = Field(default_factory=list)
    # reminder interval for firing alerts when neither rule nor route sets one
    repeat: Duration = 4 * 3600.0
    # flap damping: an alert changing state this often is held
    flap: Flap = Flap()
    # notification delivery retries
    retry: Retry = Retry()
    # a host with no poll result for this long raises stale_data
    stale_after: Duration = 300.0
    # a firing series without samples this long resolves (slow metrics get longer)
    series_gone_after: Duration = 900.0
    # Apprise config file for routes' tags (relative: to the config file)
    apprise_config: str | None = None
    # SQLAlchemy URL; default: sqlite in the data dir
    db_url: str | None = None
    # base of the links in messages; None: `web.base_url`, else the address sshmon listens on
    link_base: str | None = None

    def route(self, name: str) -> Route:
        for route in self.routes:
            if route.name == name:
                return route
        raise KeyError(name)


def load(
    doc: Document,
    hosts: frozenset[str] = frozenset(),
    groups: frozenset[str] = frozenset(),
    data: Any = None,
) -> AlertsConfig:
    """Validate `alerts:` of a loaded file, shipped rules merged in; ConfigError on problems."""
    config, rules = load_base(doc, hosts, groups, data)
    return config.model_copy(update={"rules": [r for _, r in rules if r.enabled]})


def load_base(
    doc: Document,
    hosts: frozenset[str] = frozenset(),
    groups: frozenset[str] = frozenset(),
    data: Any = None,
) -> tuple[AlertsConfig, list[tuple[Loc, Rule]]]:
    """`load`, keeping every rule with where it came from, disabled ones included: the base
    that rules edited in the UI (alerts/overrides.py) are layered over."""
    from alerts.checks import rule_problems
    from alerts.defaults import merged_rules

    section = data if data is not None else (doc.data or {}).get("alerts") or {}
    if not isinstance(section, dict):
        raise ConfigError([f"{doc.where(('alerts',))}: alerts: expected a mapping"])
    config = validate(doc, AlertsConfig, section, loc=("alerts",))
    rules = merged_rules(doc, config)
    problems = [p for loc, r in rules for p in rule_problems(doc, loc, r, hosts, groups)]
    names = [r.name for _, r in rules]
    problems += [
        f"{doc.where(('alerts', 'rules'))}: alerts.rules: rule {n!r} is defined twice"
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    problems += [
        f"{doc.where(where)}: {'.'.join(map(str, where))}: rule {r.name!r}: {what}"
        for loc, r in rules
        for where, what in inhibit_issues(loc, r, frozenset(names))
    ]
    if problems:
        raise ConfigError(problems)
    return config, rules


def inhibit_issues(loc: Loc, rule: Rule, names: frozenset[str]) -> list[tuple[Loc, str]]:
    """`inhibits:`/`inhibited_by:` naming a rule that does not exist (or the rule itself)."""
    from alerts.checks import hint

    out: list[tuple[Loc, str]] = []
    for key in ("inhibits", "inhibited_by"):
        for i, name in enumerate(getattr(rule, key)):
            if name == rule.name:
                out.append(((*loc, key, i), "a rule cannot inhibit itself"))
            elif name not in names:
                out.append(((*loc, key, i), f"no rule named {name!r}{hint(name, names)}"))
    return out


def apprise_config_path(config: AlertsConfig, base: Path) -> Path | None:
    if config.apprise_config is None:
        return None
    path = Path(config.apprise_config).expanduser()
    return path if path.is_absolute() else base / path
