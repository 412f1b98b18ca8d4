"""The alerts exception tree: one base, specific kinds, library errors translated once."""

from __future__ import annotations


class AlertsError(Exception):
    """Base of every error raised by the alerts package."""


class NotifyConfigError(AlertsError):
    """A route cannot be built: an `env:` variable is unset, a URL or the Apprise file is bad."""


class UnknownRouteError(AlertsError):
    """A route name that the config does not define (e.g. `sshmon alerts test NAME`)."""


class NotFoundError(AlertsError):
    """A silence, maintenance window or alert that does not exist (or is already over)."""


class InvalidRequestError(AlertsError):
    """A request that cannot be honoured: an end before the start, an empty matcher, …"""


class ConflictError(AlertsError):
    """A request that clashes with what exists: creating a rule whose name is taken."""


class RuleInvalidError(InvalidRequestError):
    """A rule from the UI or the API that the file's loader would refuse; each problem is
    (key path inside the rule, what is wrong), so the API can answer with the path."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
        self.problems = problems
