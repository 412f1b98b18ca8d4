"""Parse /etc/os-release (os-release(5)): shell-style KEY=value lines, never evaluated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from sys import intern
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "/etc/os-release"
_QUOTES: Final = ("'", '"')


@dataclass(frozen=True, slots=True)
class OsRelease:
    """Parsed /etc/os-release, keyed by variable name (NAME, ID, VERSION_ID, …)."""

    fields: Mapping[str, str]

    @property
    def pretty_name(self) -> str | None:
        """PRETTY_NAME, else "NAME VERSION" as os-release(5) suggests for display."""
        if "PRETTY_NAME" in self.fields:
            return self.fields["PRETTY_NAME"]
        parts = [self.fields[k] for k in ("NAME", "VERSION") if k in self.fields]
        return " ".join(parts) or None


def parse(text: str) -> OsRelease:
    fields: dict[str, str] = {}
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, eq, value = stripped.partition("=")
        if not eq or not key.replace("_", "").isalnum():
            raise ParseError(SOURCE, "expected KEY=value", line)
        # interned as /proc/mounts' fields are (parsers/proc_mounts.py): kept between
        # slow rounds for every host, and the same on every host of a distribution
        fields[intern(key)] = intern(_unquote(value))
    return OsRelease(fields)


def _unquote(value: str) -> str:
    """Strip one level of quotes and the backslash escapes os-release(5) allows.

    Variable expansion and command substitution are *not* supported by the spec, and
    certainly not performed here: `$(…)` stays literal text.
    """
    if len(value) >= 2 and value[0] in _QUOTES and value[-1] == value[0]:
        value = value[1:-1]
        if value and "\\" in value:
            out: list[str] = []
            chars = iter(value)
            for c in chars:
                out.append(next(chars, "\\") if c == "\\" else c)
            value = "".join(out)
    return value
