"""Load a YAML file into pydantic models with errors that name the file, line and key.

PyYAML's composed node tree keeps the line of every key; pydantic reports the path of a bad
value. Joining the two gives `inventory.yaml:12: hosts.web-1.port: …` instead of a trace.
Duplicate keys are an error here (PyYAML would silently keep the last one, so a second
`web-1:` would replace the first without a word).
"""

from __future__ import annotations

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


def load(path: Path) -> Document:
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
    data = _build(node, (), lines, problems, path) if node is not None else {}
    if problems:
        raise ConfigError(problems)
    return Document(path, data, lines)


def _build(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], problems: list[str], path: Path
) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(f"{path}:{key_node.start_mark.line + 1}: keys must be plain words")
                continue
            key = key_node.value
            if key in out:
                problems.append(
                    f"{path}:{key_node.start_mark.line + 1}: {_dotted((*loc, key))}: "
                    f"duplicate key (first at line {lines[(*loc, key)]})"
                )
                continue
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*loc, key), lines, problems, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), lines, problems, path) for i, item in enumerate(node.value)]
    return _SCALARS.construct_object(node, deep=True)


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
