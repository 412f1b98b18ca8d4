"""The rules in effect: shipped defaults, then the file, then changes made in the UI or the API.

`effective_rules(runtime)` is the one place that answers "which rules apply now, and where
does each come from" (the rules list, the Rules tab, chart thresholds); `layer` is the pure
step behind it, and `export_yaml` turns the result back into the file's `alerts:` keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import ValidationError

from alerts.config import AlertsConfig, Loc, Rule
from alerts.defaults import SHIPPED
from alerts.overrides import Override
from alerts.rules import in_scope
from poller.inventory import Host

if TYPE_CHECKING:  # runtime imports this module
    from alerts.runtime import AlertsRuntime

log = logging.getLogger(__name__)
Source = Literal["default", "file", "ui"]
SHIPPED_NAMES = frozenset(d["name"] for d in SHIPPED)


@dataclass(frozen=True, slots=True)
class SourcedRule:
    rule: Rule
    source: Source
    # where the file (or the shipped list) has it; None for a rule created in the UI
    loc: Loc | None
    # for source "ui": what it replaced ("default", "file") or None for a new rule
    replaces: Source | None = None
    updated_at: float | None = None
    updated_by: str = ""


@dataclass(frozen=True, slots=True)
class Effective:
    rules: tuple[SourcedRule, ...]
    deleted: tuple[SourcedRule, ...]  # file or shipped rules deleted in the UI

    def get(self, name: str) -> SourcedRule | None:
        return next((r for r in self.rules if r.rule.name == name), None)

    def enabled(self) -> list[Rule]:
        return [r.rule for r in self.rules if r.rule.enabled]


def base_source(loc: Loc) -> Source:
    # ("alerts",): shipped as is; ("alerts", "defaults", name): shipped, patched in the file
    return "file" if len(loc) > 1 else "default"


def dump(rule: Rule) -> dict[str, Any]:
    """A rule as the file would hold it: only the keys that were given (`for`, not `for_`),
    so an unset per-host level stays unset rather than becoming an explicit null."""
    return rule.model_dump(mode="json", by_alias=True, exclude_unset=True) | {"name": rule.name}


def layer(base: Sequence[tuple[Loc, Rule]], overrides: Iterable[Override]) -> Effective:
    """Overrides replace (or delete) the base rule of their name; a new name is appended."""
    rules: dict[str, SourcedRule] = {
        r.name: SourcedRule(r, base_source(loc), loc) for loc, r in base
    }
    deleted: list[SourcedRule] = []
    for o in overrides:
        was = rules.get(o.name)
        if o.rule is None:
            if was is not None:
                deleted.append(rules.pop(o.name))
            continue
        try:
            rule = Rule.model_validate(o.rule)
        except ValidationError as exc:
            # validated when stored; only a newer sshmon's stricter schema gets here
            log.error("rule %r edited in the UI is not valid any more, ignored: %s", o.name, exc)
            continue
        rules[o.name] = SourcedRule(
            rule,
            "ui",
            was.loc if was else None,
            was.source if was else None,
            o.updated_at,
            o.updated_by,
        )
    return Effective(tuple(rules.values()), tuple(deleted))


def with_rules(config: AlertsConfig, effective: Effective) -> AlertsConfig:
    """The config the engine runs: the effective rules that are enabled."""
    return config.model_copy(update={"rules": effective.enabled()})


def effective_rules(runtime: AlertsRuntime) -> Effective:
    """The rules a running alert engine evaluates (`.enabled()`), and the disabled and
    deleted ones, each with where it comes from: what charts, the API and the page read."""
    return runtime.effective()


def hosts_of(rule: Rule, hosts: Iterable[Host]) -> list[str]:
    """The inventory hosts a rule covers (its scope; per-host thresholds do not widen it)."""
    return [h.name for h in hosts if in_scope(rule.scope, h)]


def export_section(config: AlertsConfig, effective: Effective) -> dict[str, Any]:
    """`alerts.defaults` and `alerts.rules` to replace the file's: the file's own rules and
    every rule changed in the UI in full (a rule of your own with a shipped name replaces the
    shipped one), shipped rules deleted in the UI switched off. Loading the file with these
    keys gives the same effective rules."""
    defaults: bool | dict[str, Any] = config.defaults
    gone = [d.rule.name for d in effective.deleted if d.rule.name in SHIPPED_NAMES]
    if gone and defaults is not False:
        defaults = dict(defaults) if isinstance(defaults, dict) else {}
        defaults.update(dict.fromkeys(gone, False))
    rules = [
        dump(r.rule)
        for r in effective.rules
        if r.source == "ui" or (r.loc is not None and r.loc[1:2] == ("rules",))
    ]
    return {"defaults": defaults, "rules": rules}


def export_yaml(config: AlertsConfig, effective: Effective) -> str:
    head = (
        "# sshmon alert rules: replace `defaults:` and `rules:` under `alerts:` in the\n"
        "# inventory file with these (rules changed in the UI are included in full)\n"
    )
    body = yaml.safe_dump(
        {"alerts": export_section(config, effective)}, sort_keys=False, allow_unicode=True
    )
    return head + body
