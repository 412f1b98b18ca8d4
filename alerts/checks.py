"""Checks of the `alerts:` section that need more than its schema: the inventory's host and
group names, the metric catalog, Apprise's list of services, and names given to silences and
maintenance windows on the CLI or through the API.

The schema (alerts/config.py) says whether a rule is well formed; these say whether it means
anything here. Each check returns problems (`file:line: key: what`, pointing at the entry
that is wrong, not at the rule) and never raises, so one run reports every mistake.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from alerts.config import AlertsConfig, Rule
from alerts.silences import Matcher
from poller.catalog import METRICS
from poller.collectors import custom
from poller.yamlfile import Document

Loc = tuple[str | int, ...]


def _dotted(loc: Loc) -> str:
    return ".".join(map(str, loc))


def hint(name: str, known: Collection[str]) -> str:
    """` (did you mean X?)` for the closest known name, or ''."""
    return _hint(name, known)


def _hint(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def rule_problems(
    doc: Document,
    loc: Loc,
    rule: Rule,
    hosts: frozenset[str],
    groups: frozenset[str],
) -> list[str]:
    """What is wrong with one rule found at `loc`; empty `hosts`/`groups` skip those checks."""
    return [
        f"{doc.where(where)}: {_dotted(where)}: rule {rule.name!r}: {what}"
        for where, what in rule_issues(loc, rule, hosts, groups)
    ]


def rule_issues(
    loc: Loc,
    rule: Rule,
    hosts: frozenset[str],
    groups: frozenset[str],
) -> list[tuple[Loc, str]]:
    """rule_problems as (key path, what): the API answers them as a 422 naming the path."""
    problems: list[tuple[Loc, str]] = []

    def say(where: Loc, what: str) -> None:
        problems.append((where, what))

    unknown: list[tuple[Loc, str]] = []
    for i, m in enumerate(rule.metrics()):
        where = (*loc, "metric") if rule.metric else (*loc, "all", i, "metric")
        if m.startswith(custom.PREFIX):
            # user metrics (textfile, commands) are only known once a host sends them, so a
            # rule names them with the prefix they are stored under; `devices:` match their
            # label string (`job="db"`)
            why = custom.rule_name_problem(m)
            if why is not None:
                say(where, why)
        elif m not in METRICS:
            unknown.append((where, m))
    for where, m in unknown:
        say(where, f"unknown metric {m!r}{_hint(m, METRICS)}")
    if not unknown and (rule.devices or rule.exclude_devices):
        # a host-wide metric is stored with dev '' only, so a device filter would silently
        # match nothing (devices:) or nothing at all would be excluded (exclude_devices:)
        per_device = [
            m
            for m in rule.metrics()
            if m.startswith(custom.PREFIX) or (m in METRICS and METRICS[m].dev is not None)
        ]
        if not per_device:
            what = (
                f"metric {rule.metric!r}"
                if rule.metric
                else "a `poll:` rule"
                if rule.poll
                else "every metric of `all:`"
            )
            for key in ("devices", "exclude_devices"):
                if getattr(rule, key):
                    say(
                        (*loc, key),
                        f"{what} has no devices, it is one value per host ({key}: fits "
                        "metrics per device, interface or mount point)",
                    )
    if hosts:
        named = [((*loc, "hosts", name), name) for name in rule.hosts]
        named += [((*loc, "scope", "hosts", i), n) for i, n in enumerate(rule.scope.hosts)]
        named += [((*loc, "scope", "exclude", i), n) for i, n in enumerate(rule.scope.exclude)]
        for where, name in named:
            if name not in hosts:
                say(where, f"no host named {name!r} in the inventory{_hint(name, hosts)}")
    if groups:
        named = [((*loc, "groups", name), name) for name in rule.groups]
        named += [((*loc, "scope", "groups", i), n) for i, n in enumerate(rule.scope.groups)]
        for where, name in named:
            if name not in groups:
                say(where, f"no group named {name!r} in the inventory{_hint(name, groups)}")
    return problems


def route_problems(
    doc: Document,
    config: AlertsConfig,
    groups: frozenset[str],
    env: Mapping[str, str],
) -> list[str]:
    """Routes that could not deliver: unset `env:` variables, URLs Apprise refuses, tags
    without an Apprise file, unknown groups. A URL is never echoed: it usually holds a token."""
    problems: list[str] = []
    for i, route in enumerate(config.routes):
        loc: Loc = ("alerts", "routes", i)

        def say(where: Loc, what: str, route_name: str = route.name) -> None:
            problems.append(f"{doc.where(where)}: {_dotted(where)}: route {route_name!r}: {what}")

        for j, url in enumerate(route.urls):
            for what in _url_problems(url, env):
                say((*loc, "urls", j), what)
        if route.tags and config.apprise_config is None:
            say((*loc, "tags"), "tags pick entries of `alerts.apprise_config`, which is not set")
        for j, name in enumerate(route.groups):
            if groups and name not in groups:
                say(
                    (*loc, "groups", j),
                    f"no group named {name!r} in the inventory{_hint(name, groups)}",
                )
    if config.apprise_config is not None:
        path = Path(config.apprise_config).expanduser()
        path = path if path.is_absolute() else doc.path.parent / path
        if not path.is_file():
            where: Loc = ("alerts", "apprise_config")
            problems.append(f"{doc.where(where)}: {_dotted(where)}: file {path} does not exist")
    return problems


def _url_problems(url: str, env: Mapping[str, str]) -> list[str]:
    if url.startswith("env:"):
        name = url.removeprefix("env:")
        if not env.get(name):
            return [f"environment variable {name} is not set"]
        urls = env[name].replace(",", " ").split()
        where = f" (from environment variable {name})"
    else:
        urls, where = [url], ""
    return [f"{what}{where}" for what in map(apprise_refusal, urls) if what]


def apprise_refusal(url: str) -> str | None:
    """Why Apprise would not send to `url`, without quoting it; None when it accepts it."""
    # imported only when there are URLs to check: Apprise loads ~190 plugins
    import apprise
    from apprise.manager_plugins import NotificationManager

    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        return "not an Apprise URL (expected SERVICE://…, e.g. ntfy://topic)"
    services = NotificationManager()  # type: ignore[no-untyped-call]  # a shared singleton
    if scheme.lower() not in services:
        known = services.schemas()  # type: ignore[no-untyped-call]
        return f"no Apprise service called {scheme!r}{_hint(scheme.lower(), known)}"
    # Apprise logs the whole refused URL at ERROR, token and password included
    apprise_log = logging.getLogger("apprise")
    was, apprise_log.disabled = apprise_log.disabled, True
    try:
        accepted = apprise.Apprise.instantiate(url) is not None
    finally:
        apprise_log.disabled = was
    return None if accepted else f"Apprise cannot parse this {scheme}:// URL (see its docs)"


@dataclass(frozen=True, slots=True)
class UnknownName:
    """A name in a silence or maintenance matcher that matches nothing here: a typo would
    otherwise mute nothing while its author believes the pager is quiet."""

    field: str  # the Matcher field: hosts, groups or rules
    index: int  # position in that list
    name: str
    hint: str  # " (did you mean db-1?)" or ""

    def api_message(self) -> str:
        """Worded for the API, whose error points at the entry (`matcher.hosts[0]`)."""
        return f"{_MATCHER_FIELDS[self.field][1].format(name=repr(self.name))}{self.hint}"

    def cli_message(self) -> str:
        """Worded for the CLI, which names the option that was given."""
        option, _, what = _MATCHER_FIELDS[self.field]
        return f"{option} {self.name!r}: {what}{self.hint}"


# Matcher field -> (CLI option, API wording, CLI wording)
_MATCHER_FIELDS: Final = {
    "hosts": ("--host", "no host named {name} in the inventory", "not a host in the inventory"),
    "groups": ("--group", "no group named {name} in the inventory", "not a group in the inventory"),
    "rules": ("--rule", "no enabled rule named {name}", "no enabled rule by that name"),
}


def unknown_names(
    matcher: Matcher,
    hosts: Collection[str],
    groups: Collection[str],
    rules: Collection[str],
) -> list[UnknownName]:
    """Every host, group and rule of `matcher` missing from the known ones, in field order."""
    known = {"hosts": hosts, "groups": groups, "rules": rules}
    return [
        UnknownName(field, i, name, _hint(name, known[field]))
        for field in _MATCHER_FIELDS
        for i, name in enumerate(getattr(matcher, field))
        if name not in known[field]
    ]


def matcher_problems(
    matcher: Matcher,
    hosts: Collection[str],
    groups: Collection[str],
    rules: Collection[str],
) -> list[str]:
    """unknown_names in the CLI's words."""
    return [u.cli_message() for u in unknown_names(matcher, hosts, groups, rules)]
