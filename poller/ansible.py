"""Read an Ansible inventory (INI or YAML) into sshmon's inventory data.

Most fleets that sshmon can reach are already listed in an Ansible inventory, so
`sshmon inventory import ansible FILE` starts from it. Only what sshmon uses is carried
over: hosts, groups (with `children` flattened, as Ansible resolves membership), and the
connection variables `ansible_host`, `ansible_port`, `ansible_user`,
`ansible_ssh_private_key_file` and `ansible_connection: local`. Every other variable is
Ansible's business and is left out. Passwords (`ansible_password`) are never copied: sshmon
reads secrets only from environment variables (`password_env`).

Reading the two forms is poller/ansible_read.py; this module maps Ansible's model onto
sshmon's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poller.ansible_read import ALL, UNGROUPED, Group, Parsed, Var, read
from poller.inventory import valid_name
from poller.yamlfile import ConfigError

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
# Ansible's SSH connection plugins; anything else (winrm, docker, …) is not reachable by sshmon
_SSH_CONNECTIONS = frozenset({"ssh", "smart", "paramiko", "paramiko_ssh"})


@dataclass(frozen=True)
class Converted:
    """sshmon inventory data, and what was not carried over (said to the user)."""

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
    parsed = read(path, text)
    try:
        converted = convert(parsed)
    except ConfigError as exc:  # one run lists every mistake, reading and converting
        raise ConfigError([*parsed.problems, *exc.problems]) from None
    if parsed.problems:
        raise ConfigError(parsed.problems)
    return converted


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
            elif str(value) not in _SSH_CONNECTIONS:
                notes.append(f"{where}: {owner}: ansible_connection={value}: sshmon polls over "
                             "SSH (or `transport: local`); check this one")
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
