"""Load a YAML file into pydantic models with errors that name the file, line and key.

PyYAML's composed node tree keeps the line of every key; pydantic reports the path of a bad
value. Joining the two gives `inventory.yaml:12: hosts.web-1.port: …` instead of a trace.
Duplicate keys are an error here (PyYAML would silently keep the last one, so a second
`web-1:` would replace the first without a word).

`${VAR}` in a string value is replaced by the environment variable VAR, in every section,
so one file serves several machines (`data_dir: ${STATE_DIRECTORY}`, a ClickHouse URL per
site). `$${VAR}` is a literal `${VAR}`. An unset variable is an error naming file, line,
key and variable: an empty path or URL would fail later and further from the cause.
It is meant for paths and URLs, not secrets: the expanded file is what `config check`
and the web UI's errors quote; secrets go by name (`password_env`, `env:` routes).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]
# Builds plain values (int, bool, None, dates) from scalar nodes exactly as safe_load would.
_SCALARS = yaml.constructor.SafeConstructor()
M = TypeVar("M", bound=BaseModel)
# `$${…}` (escape) or `${…}` (a variable); a `$` followed by anything else stays as written
_VARIABLE = re.compile(r"\$(\$?)\{([^}]*)\}")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STR_TAG = "tag:yaml.org,2002:str"


class ConfigError(Exception):
    """A config file is unreadable or invalid; str() is one line per problem, ready to print."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: plain Python data plus the line where each key path starts."""

    path: Path
    data: Any
    lines: Mapping[Loc, int]

    def line_of(self, loc: Loc) -> int:
        """Line of the deepest known prefix of loc (1-based; 1 when nothing matches)."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return 1

    def where(self, loc: Loc) -> str:
        return f"{self.path}:{self.line_of(loc)}"


def load(
    path: Path, env: Mapping[str, str] | None = None, *, interpolate: bool = True
) -> Document:
    """Parse path; `${VAR}` in string values is read from env (default: os.environ) unless
    interpolate is False (files that are not sshmon's, such as an Ansible inventory)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}:{line}: not valid YAML: {problem}"]) from exc
    lines: dict[Loc, int] = {}
    problems: list[str] = []
    environ: Mapping[str, str] | None = None
    if interpolate:
        environ = os.environ if env is None else env
    build = _Builder(path, lines, problems, environ)
    data = build(node, ()) if node is not None else {}
    if problems:
        raise ConfigError(problems)
    return Document(path, data, lines)


@dataclass
class _Builder:
    """Turns a composed node tree into plain data, recording the line of every key."""

    path: Path
    lines: dict[Loc, int]
    problems: list[str]
    env: Mapping[str, str] | None

    def __call__(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self(item, (*loc, i)) for i, item in enumerate(node.value)]
        if (
            self.env is not None
            and isinstance(node, yaml.ScalarNode)
            and node.tag == _STR_TAG
            and "${" in node.value
        ):
            return self._interpolate(node, loc)
        return _SCALARS.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(f"{self.path}:{line}: keys must be plain words")
                continue
            key = key_node.value
            if key in out:
                self.problems.append(
                    f"{self.path}:{line}: {_dotted((*loc, key))}: "
                    f"duplicate key (first at line {self.lines[(*loc, key)]})"
                )
                continue
            self.lines[(*loc, key)] = line
            out[key] = self(value_node, (*loc, key))
        return out

    def _interpolate(self, node: yaml.ScalarNode, loc: Loc) -> str:
        # a value that only looks like a number after expansion ("${PORT}") stays a string
        # here; the section's model converts it as it would a quoted "2222"
        env = self.env or {}
        where = f"{self.path}:{node.start_mark.line + 1}: {_dotted(loc) or '(top level)'}"

        def one(match: re.Match[str]) -> str:
            escaped, name = match[1], match[2]
            if escaped:
                return "${" + name + "}"
            if not _VAR_NAME.match(name):
                self.problems.append(
                    f"{where}: ${{{name}}} is not a variable name (write $${{…}} for a "
                    "literal ${…})"
                )
            elif name not in env:
                self.problems.append(f"{where}: environment variable {name} is not set")
            else:
                return env[name]
            return match[0]

        return _VARIABLE.sub(one, str(node.value))


def validate(doc: Document, model: type[M], data: Any = None, loc: Loc = ()) -> M:
    """Validate doc.data (or `data` found at `loc` in the file) against model."""
    try:
        return model.model_validate(doc.data if data is None else data)
    except ValidationError as exc:
        raise ConfigError(describe(doc, exc, loc)) from None


def describe(doc: Document, exc: ValidationError, prefix: Loc = ()) -> list[str]:
    problems = []
    for err in exc.errors():
        loc: Loc = (*prefix, *(p for p in err["loc"] if not _is_union_tag(p)))
        problems.append(f"{doc.where(loc)}: {_dotted(loc) or '(top level)'}: {_message(err)}")
    return problems


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see inventory.example.yaml for every key)"
    if kind == "missing":
        return "required key is missing"
    got = err.get("input")
    shown = f" (got {got!r})" if got is not None and not isinstance(got, dict | list) else ""
    return f"{err['msg']}{shown}"


def _is_union_tag(part: str | int) -> bool:
    # pydantic adds the union member's type name to loc (e.g. 'str', 'list[str]'); not a key
    return isinstance(part, str) and (
        part.startswith(("list[", "dict[")) or part in {"str", "int", "float", "bool"}
    )


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)
