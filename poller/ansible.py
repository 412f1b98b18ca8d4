"""Read an Ansible inventory (INI or YAML) into sshmon's inventory data.

Most fleets that sshmon can reach are already listed in an Ansible inventory, so
`sshmon inventory import ansible FILE` starts from it. Only what sshmon uses is carried
over: hosts, groups (with `children` flattened, as Ansible resolves membership), and the
connection variables `ansible_host`, `ansible_port`, `ansible_user`,
`ansible_ssh_private_key_file` and `ansible_connection: local`. Every other variable is
Ansible's business and is left out. Passwords (`ansible_password`) are never copied: sshmon
reads secrets only from environment variables (`password_env`).

Reference: docs.ansible.com, "How to build your inventory" (INI and YAML forms, host
ranges, `host:port` in INI, `[group:vars]`, `[group:children]`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poller import yamlfile
from poller.inventory import valid_name
from poller.yamlfile import ConfigError

# Ansible variable → sshmon host setting. The `ansible_ssh_*` spellings are Ansible's
# pre-2.0 names, still accepted by Ansible and still found in old inventories.
_CONNECTION_VARS = {
    "ansible_host": "address",
    "ansible_ssh_host": "address",
    "ansible_port": "port",
    "ansible_ssh_port": "port",
    "ansible_user": "user",
    "ansible_ssh_user": "user",
    "ansible_ssh_private_key_file": "identity_file",
    "ansible_private_key_file": "identity_file",
}
_SECRET_VARS = frozenset({"ansible_password", "ansible_ssh_pass", "ansible_become_password"})
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


@dataclass(frozen=True)
class Converted:
    data: dict[str, Any]
    notes: list[str]


def load(path: Path) -> Converted:
    """Read FILE in whichever form it is and convert it; ConfigError names file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from exc
    parsed = _parse_yaml(path) if _looks_like_yaml(path, text) else parse_ini(path, text)
    try:
        converted = convert(parsed)
    except ConfigError as exc:  # one run lists every mistake, reading and converting
        raise ConfigError([*parsed.problems, *exc.problems]) from None
    if parsed.problems:
        raise ConfigError(parsed.problems)
    return converted


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


# --- conversion -----------------------------------------------------------------------


def convert(parsed: Parsed) -> Converted:
    """Ansible's model → sshmon's: flattened groups, parents before children (so a child
    group's settings win, as in Ansible), `all:` vars as defaults."""
    problems: list[str] = []
    notes: list[str] = []
    path = parsed.path
    members = _flattened(parsed)
    out: dict[str, Any] = {}
    if ALL in parsed.groups:
        defaults = _settings(path, parsed.groups[ALL].vars, ALL, problems, notes)
        if defaults:
            out["defaults"] = defaults
    groups: dict[str, Any] = {}
    for name in _parents_first(parsed):
        if name in {ALL, UNGROUPED}:
            continue
        entry = _settings(path, parsed.groups[name].vars, f"group {name}", problems, notes)
        entry["hosts"] = members[name]
        groups[name] = entry
    if groups:
        out["groups"] = groups
    hosts: dict[str, Any] = {}
    for name, variables in parsed.hosts.items():
        where = f"{path}:{parsed.host_lines[name]}"
        if not valid_name(name):
            problems.append(f"{where}: {name}: sshmon host names may use letters, digits, "
                            "'.', '_' and '-' (up to 128); rename it and set ansible_host")
            continue
        hosts[name] = _settings(path, variables, f"host {name}", problems, notes)
    out["hosts"] = hosts
    if problems:
        raise ConfigError(problems)
    return Converted(out, notes)


def _settings(
    path: Path, variables: dict[str, Var], owner: str, problems: list[str], notes: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, var in variables.items():
        where = f"{path}:{var.line}"
        value = var.value
        if key in _SECRET_VARS:
            notes.append(f"{where}: {owner}: {key} not copied: put the secret in an "
                         "environment variable and name it with password_env")
            continue
        if key == "ansible_connection":
            if str(value) == "local":
                out["transport"] = "local"
            continue
        setting = _CONNECTION_VARS.get(key)
        if setting is None:
            continue  # Ansible's own variables: nothing sshmon would do with them
        if isinstance(value, str) and "{{" in value:
            problems.append(f"{where}: {owner}: {key}: Jinja2 templates are not evaluated "
                            f"here ({value!r}); write the value out")
            continue
        if setting == "port":
            try:
                value = int(value)
            except (TypeError, ValueError):
                problems.append(f"{where}: {owner}: {key}: not a port number ({value!r})")
                continue
        out[setting] = str(value) if setting != "port" else value
    return out


def _flattened(parsed: Parsed) -> dict[str, list[str]]:
    """Each group's hosts including its descendants' (Ansible's membership), file order."""
    memo: dict[str, list[str]] = {}

    def walk(name: str, seen: frozenset[str]) -> list[str]:
        if name in memo:
            return memo[name]
        group = parsed.groups.get(name, Group(0))
        hosts = list(group.hosts)
        for child in group.children:
            if child in seen:
                continue  # a cycle: Ansible refuses it too, but flattening just stops
            hosts += [h for h in walk(child, seen | {child}) if h not in hosts]
        memo[name] = hosts
        return hosts

    return {name: walk(name, frozenset({name})) for name in parsed.groups}


def _parents_first(parsed: Parsed) -> list[str]:
    """Groups by depth below `all`, then name: Ansible applies group vars in that order,
    and sshmon applies groups in file order, so writing them so keeps the same winner."""
    depth: dict[str, int] = {}
    parents: dict[str, list[str]] = {}
    for name, group in parsed.groups.items():
        for child in group.children:
            parents.setdefault(child, []).append(name)

    def level(name: str, seen: frozenset[str]) -> int:
        if name not in depth:
            ups = [p for p in parents.get(name, []) if p not in seen]
            depth[name] = 1 + max((level(p, seen | {p}) for p in ups), default=0)
        return depth[name]

    return sorted(parsed.groups, key=lambda g: (level(g, frozenset({g})), g))
