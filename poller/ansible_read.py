"""Read an Ansible inventory, INI or YAML form, as declared: hosts, groups, vars, lines.

Nothing here knows about sshmon; poller/ansible.py converts what this returns. Reference:
docs.ansible.com, "How to build your inventory" (host ranges, `host:port` in INI,
`[group:vars]`, `[group:children]`, the YAML form's hosts/children/vars).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poller import yamlfile

_RANGE = re.compile(r"\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\]")
_SECTION = re.compile(r"^\[([^\]:\s]+)(?::(vars|children))?\]\s*$")
_HOST_PORT = re.compile(r"^([^:\[\]]+):(\d+)$")
# Ansible's implicit groups: `all` holds inventory-wide vars (sshmon's defaults:),
# `ungrouped` is every host in no other group. Neither becomes an sshmon group.
ALL, UNGROUPED = "all", "ungrouped"


@dataclass
class Var:
    value: Any
    line: int


@dataclass
class Group:
    line: int
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Var] = field(default_factory=dict)


@dataclass
class Parsed:
    """An Ansible inventory as declared: hosts with their own vars, groups as written."""

    path: Path
    hosts: dict[str, dict[str, Var]] = field(default_factory=dict)
    host_lines: dict[str, int] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add_host(self, name: str, line: int, variables: dict[str, Var], group: str) -> None:
        self.host_lines.setdefault(name, line)
        self.hosts.setdefault(name, {}).update(variables)
        members = self.group(group, line).hosts
        if name not in members:
            members.append(name)

    def group(self, name: str, line: int) -> Group:
        return self.groups.setdefault(name, Group(line))


def read(path: Path, text: str) -> Parsed:
    """The inventory in path (text already read), in whichever form it is written."""
    return _parse_yaml(path) if _looks_like_yaml(path, text) else parse_ini(path, text)


def _looks_like_yaml(path: Path, text: str) -> bool:
    """Ansible tries its YAML plugin on .yml/.yaml/.json; an extension-less file is YAML
    when its first meaningful line is a mapping key (`all:`), INI otherwise."""
    if path.suffix in {".yml", ".yaml", ".json"}:
        return True
    if path.suffix == ".ini":
        return False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";", "---")):
            continue
        return line.endswith(":") and not line.startswith("[")
    return False

# --- INI ------------------------------------------------------------------------------


def parse_ini(path: Path, text: str) -> Parsed:
    parsed = Parsed(path)
    group, kind = UNGROUPED, "hosts"
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        where = f"{path}:{number}"
        if line.startswith("["):
            match = _SECTION.match(line)
            if match is None:
                parsed.problems.append(f"{where}: not a section header: {line!r}")
                group, kind = "", "skip"
                continue
            group, kind = match[1], match[2] or "hosts"
            parsed.group(group, number)
            continue
        if kind == "skip":
            continue
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            parsed.problems.append(f"{where}: cannot split the line: {exc}")
            continue
        if not words:
            continue
        if kind == "vars":
            _ini_var(parsed, group, words, number, where)
        elif kind == "children":
            parsed.group(words[0], number)
            children = parsed.groups[group].children
            if words[0] not in children:
                children.append(words[0])
        else:
            _ini_host(parsed, group, words, number, where)
    return parsed


def _ini_var(parsed: Parsed, group: str, words: list[str], number: int, where: str) -> None:
    text = " ".join(words)
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        parsed.problems.append(f"{where}: [{group}:vars]: expected key=value, got {text!r}")
        return
    parsed.groups[group].vars[key.strip()] = Var(value.strip(), number)


def _ini_host(parsed: Parsed, group: str, words: list[str], number: int, where: str) -> None:
    variables: dict[str, Var] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep or not key:
            parsed.problems.append(f"{where}: {words[0]}: expected key=value, got {word!r}")
            return
        variables[key] = Var(value, number)
    name = words[0]
    if (host_port := _HOST_PORT.match(name)) is not None:
        name = host_port[1]
        variables.setdefault("ansible_port", Var(host_port[2], number))
    try:
        names = list(expand_ranges(name))
    except ValueError as exc:
        parsed.problems.append(f"{where}: {name}: {exc}")
        return
    for each in names:
        parsed.add_host(each, number, dict(variables), group)


def expand_ranges(pattern: str) -> Iterator[str]:
    """`web[01:03]` → web01, web02, web03; `db-[a:c]`; `[1:10:2]` with a stride.
    Leading zeros in the start set the width, as in Ansible."""
    match = _RANGE.search(pattern)
    if match is None:
        yield pattern
        return
    start, end, stride = match[1], match[2], int(match[3] or 1)
    head, tail = pattern[: match.start()], pattern[match.end() :]
    if start.isdigit() and end.isdigit():
        width = len(start) if start.startswith("0") else 0
        values = [str(i).zfill(width) for i in range(int(start), int(end) + 1, stride)]
    elif len(start) == 1 and len(end) == 1 and start.isalpha() and end.isalpha():
        values = [chr(c) for c in range(ord(start), ord(end) + 1, stride)]
    else:
        raise ValueError(f"range [{start}:{end}] must be numbers or single letters")
    if not values:
        raise ValueError(f"range [{start}:{end}] is empty")
    for value in values:
        yield from expand_ranges(f"{head}{value}{tail}")


# --- YAML -----------------------------------------------------------------------------


def _parse_yaml(path: Path) -> Parsed:
    doc = yamlfile.load(path, interpolate=False)
    parsed = Parsed(path)
    if not isinstance(doc.data, dict):
        parsed.problems.append(f"{path}:1: expected a mapping of groups (usually `all:`)")
        return parsed
    for name, body in doc.data.items():
        _yaml_group(parsed, doc, str(name), body, (name,))
    return parsed


def _yaml_group(
    parsed: Parsed, doc: yamlfile.Document, name: str, body: Any, loc: yamlfile.Loc
) -> None:
    group = parsed.group(name, doc.line_of(loc))
    if body is None:
        return
    if not isinstance(body, dict):
        parsed.problems.append(f"{doc.where(loc)}: {name}: a group is a mapping of "
                               "hosts, children and vars")
        return
    for key in body:
        if key not in {"hosts", "children", "vars"}:
            parsed.problems.append(
                f"{doc.where((*loc, key))}: {name}.{key}: unknown group key "
                "(a group has hosts, children and vars)"
            )
    for key, value in _mapping(parsed, doc, body.get("vars"), (*loc, "vars")):
        group.vars[key] = Var(value, doc.line_of((*loc, "vars", key)))
    for host, host_vars in _mapping(parsed, doc, body.get("hosts"), (*loc, "hosts")):
        host_loc = (*loc, "hosts", host)
        variables = {
            k: Var(v, doc.line_of((*host_loc, k)))
            for k, v in _mapping(parsed, doc, host_vars, host_loc)
        }
        try:
            names = list(expand_ranges(host))
        except ValueError as exc:
            parsed.problems.append(f"{doc.where(host_loc)}: {host}: {exc}")
            continue
        for each in names:
            parsed.add_host(each, doc.line_of(host_loc), dict(variables), name)
    for child, child_body in _mapping(parsed, doc, body.get("children"), (*loc, "children")):
        if child not in group.children:
            group.children.append(child)
        _yaml_group(parsed, doc, child, child_body, (*loc, "children", child))


def _mapping(
    parsed: Parsed, doc: yamlfile.Document, value: Any, loc: yamlfile.Loc
) -> Iterator[tuple[str, Any]]:
    if value is None:
        return
    if not isinstance(value, dict):
        parsed.problems.append(f"{doc.where(loc)}: {'.'.join(map(str, loc))}: expected a mapping")
        return
    for key, item in value.items():
        yield str(key), item
