"""The one exception parsers raise."""

from __future__ import annotations


class ParseError(ValueError):
    """Text from a target did not have the shape its source promises.

    The message names the source and quotes the offending line, so an operator
    can tell which host sent what without a debugger.
    """

    def __init__(self, source: str, reason: str, line: str | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        quoted = f": {line[:200]!r}" if line is not None else ""
        super().__init__(f"{source}: {reason}{quoted}")
