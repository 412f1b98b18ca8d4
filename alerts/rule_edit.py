"""Changes to rules from the UI or the API, checked exactly as the file's rules are.

Each function takes the rules in effect and a request and returns an `Edit` (what to store,
what it replaces) without touching the database or the engine, so the caller decides where
the I/O runs: the API writes in a worker thread and applies to the engine on the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from alerts.checks import rule_issues
from alerts.config import Rule, inhibit_issues
from alerts.effective import Effective, SourcedRule, dump
from alerts.errors import ConflictError, InvalidRequestError, NotFoundError, RuleInvalidError


@dataclass(frozen=True, slots=True)
class Edit:
    name: str
    action: str
    after: dict[str, Any] | None  # the override to store; None: deleted
    before: dict[str, Any] | None
    keep: bool = True  # False: drop the override (the file's rule, if any, is back)


@dataclass(frozen=True, slots=True)
class Known:
    """Inventory names a rule may refer to (empty: not checked)."""

    hosts: frozenset[str]
    groups: frozenset[str]


def validate(data: dict[str, Any], known: Known, names: frozenset[str] = frozenset()) -> Rule:
    """The file's schema, then the file's cross-reference checks (catalog, hosts, groups,
    and the rules `inhibits:`/`inhibited_by:` name, among `names`)."""
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        raise RuleInvalidError(
            [(tuple(e["loc"]), str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()]
        ) from exc
    issues = rule_issues((), rule, known.hosts, known.groups)
    issues += inhibit_issues((), rule, names | {rule.name})
    if issues:
        raise RuleInvalidError(issues)
    return rule


def _names(effective: Effective) -> frozenset[str]:
    return frozenset(r.rule.name for r in effective.rules)


def _existing(effective: Effective, name: str) -> SourcedRule:
    found = effective.get(name)
    if found is None:
        raise NotFoundError(f"no rule named {name!r}")
    return found


def create(effective: Effective, data: dict[str, Any], known: Known) -> Edit:
    rule = validate(data, known, _names(effective))
    if effective.get(rule.name) is not None:
        raise ConflictError(f"a rule named {rule.name!r} exists: change it with PUT")
    return Edit(rule.name, "create", dump(rule), None)


def replace(effective: Effective, name: str, data: dict[str, Any], known: Known) -> Edit:
    was = _existing(effective, name)
    if data.get("name", name) != name:
        raise InvalidRequestError(
            f"name: {data['name']!r} differs from the rule being changed ({name!r}); "
            "create a rule with the new name and delete this one"
        )
    rule = validate({**data, "name": name}, known, _names(effective))
    return Edit(name, "update", dump(rule), dump(was.rule))


def thresholds(
    effective: Effective, name: str, levels: dict[str, float | None], known: Known
) -> Edit:
    """Only warning and/or critical change (the keys given; null removes a level)."""
    was = _existing(effective, name)
    if was.rule.metric is None:
        kind = "watches poll results" if was.rule.poll else "fires when its `all:` conditions hold"
        raise InvalidRequestError(f"rule {name!r} {kind}; it has no warning/critical thresholds")
    rule = validate({**dump(was.rule), **levels}, known, _names(effective))
    return Edit(name, "thresholds", dump(rule), dump(was.rule))


def set_enabled(effective: Effective, name: str, enabled: bool, known: Known) -> Edit:
    was = _existing(effective, name)
    rule = validate({**dump(was.rule), "enabled": enabled}, known, _names(effective))
    return Edit(name, "enable" if enabled else "disable", dump(rule), dump(was.rule))


def delete(effective: Effective, name: str) -> Edit:
    """A rule of the file or the shipped list is kept deleted by an override; one created in
    the UI just goes."""
    was = _existing(effective, name)
    from_ui_only = was.source == "ui" and was.replaces is None
    return Edit(name, "delete", None, dump(was.rule), keep=not from_ui_only)


def revert(effective: Effective, name: str) -> Edit:
    """Forget the UI's change: the file's (or the shipped) rule is in effect again."""
    was = effective.get(name) or next((d for d in effective.deleted if d.rule.name == name), None)
    if was is None or (was.source != "ui" and was not in effective.deleted):
        raise NotFoundError(f"rule {name!r} has no change made in the UI to undo")
    return Edit(name, "revert", None, dump(was.rule), keep=False)
