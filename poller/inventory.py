"""The inventory: which hosts to poll and how, from `defaults:`, `groups:` and `hosts:`.

Settings resolve defaults → each group the host is in (in file order) → the host itself;
labels and group membership add up. A host may join groups by listing them (`groups: [web]`)
or a group may list its hosts (`hosts: [web-1]`). Anything not set here is left to
~/.ssh/config (User, Port, IdentityFile, ProxyJump, HostName aliases), which the SSH
transport reads the way OpenSSH does.

Secrets never live in this file: `password_env` / `passphrase_env` name environment variables.
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from poller.collectors.custom import collision
from poller.collectors.registry import NAMES as COLLECTOR_NAMES
from poller.yamlfile import ConfigError, Document, validate

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _duration(value: Any) -> Any:
    """Accept 10, 2.5, '10s', '500ms', '5m', '1h' (seconds when no unit)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("expected a duration like 10, '10s', '500ms', '5m' or '1h'")
        return float(match.group(1)) * _UNIT_S[match.group(2)]
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _known_collector(name: str) -> str:
    if name not in COLLECTOR_NAMES:
        raise ValueError(
            f"unknown collector {name!r}; the collectors are: {', '.join(COLLECTOR_NAMES)}"
        )
    return name


CollectorName = Annotated[str, AfterValidator(_known_collector)]
CollectorNames = Annotated[list[CollectorName], BeforeValidator(_one_or_many)]


class CollectorsSetting(BaseModel):
    """`collectors: {exclude: [pressure], include: [...]}`, like node_exporter's
    --no-collector.X / --collector.X. Layers apply in order (defaults, groups, host): each
    turns its `include` on, then its `exclude` off, so a host can take back a collector
    its group switched off. Every collector is on unless something excludes it."""

    model_config = ConfigDict(extra="forbid")

    include: CollectorNames = Field(default_factory=list)
    exclude: CollectorNames = Field(default_factory=list)


class CommandSetting(BaseModel):
    """One operator-written command (`commands:`): a fixed command line, never built from
    target output, run by `sh -c` on the target every `every` polls under `timeout`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$")
    run: str = Field(min_length=1, max_length=4096, pattern=r"^[^\x00\n\r]+$")
    every: int = Field(default=1, ge=1, le=10_000)
    # whole seconds: busybox `timeout` takes no fractions
    timeout: int = Field(default=2, ge=1, le=300)
    format: Literal["prometheus", "value", "keyvalue"] = "value"
    max_output_bytes: int = Field(default=64 * 1024, ge=64, le=1024 * 1024)

    @field_validator("name")
    @classmethod
    def _not_builtin(cls, name: str) -> str:
        why = collision(name)
        if why is not None:
            raise ValueError(why)
        return name


def _textfile_dir(value: str) -> str:
    if not value.startswith("/") or "\x00" in value or "\n" in value or len(value) > 1024:
        raise ValueError("expected an absolute directory path on the target (one line)")
    return posixpath.normpath(value)


Seconds = Annotated[float, BeforeValidator(_duration), Field(gt=0, le=86400)]
Paths = Annotated[list[str], BeforeValidator(_one_or_many)]
EnvName = Annotated[str, Field(pattern=_ENV_NAME.pattern)]


class HostSettings(BaseModel):
    """Keys allowed in `defaults:`, in a group and in a host; every one optional.

    The comment above each key is its entry in docs/configuration.md (docs/gen.py)."""

    model_config = ConfigDict(extra="forbid")

    # SSH user; unset: ~/.ssh/config's User, else the user sshmon runs as
    user: str | None = None
    # SSH port; unset: ~/.ssh/config's Port, else 22
    port: int | None = Field(default=None, ge=1, le=65535)
    # private key file(s) to offer; ssh-agent's keys are tried too when it runs
    identity_file: Paths | None = None
    # NAME of an environment variable holding the SSH password (never the password)
    password_env: EnvName | None = None
    # NAME of an environment variable holding the identity file's passphrase
    passphrase_env: EnvName | None = None
    # jump host: another inventory host, or [user@]host[:port] (like ProxyJump)
    jump: str | None = None
    # an existing known_hosts file whose keys this host may present
    known_hosts: str | None = None
    # accept and remember an unknown host key on first connect (default: wait for `sshmon trust`)
    trust_on_first_use: bool | None = None
    # time between polls (default 10s)
    interval: Seconds | None = None
    # one poll may take this long before it counts as timed out (default 10s)
    timeout: Seconds | None = None
    # TCP connect plus SSH handshake and auth (default 10s)
    connect_timeout: Seconds | None = None
    # the slow round (df, …) runs every Nth poll (default 12; the first poll: always)
    slow_every: int | None = Field(default=None, ge=1, le=10_000)
    # a poll printing more than this fails (default 8 MiB): target output is untrusted
    max_output_bytes: int | None = Field(default=None, ge=4096, le=256 * 1024 * 1024)
    # interfaces, disks, filesystems, cpus kept per family per poll (default 256)
    max_devices: int | None = Field(default=None, ge=1, le=100_000)
    # `local` runs the probe through a local `sh` (the machine sshmon runs on)
    transport: Literal["ssh", "local"] | None = None
    # key: value pairs shown with the host and matched by alert scopes and routes
    labels: dict[str, str] | None = None
    collectors: CollectorsSetting | None = None
    # a directory on the target whose *.prom files are read every poll (node_exporter's
    # textfile collector format); off unless set
    textfile_dir: Annotated[str, AfterValidator(_textfile_dir)] | None = None
    commands: list[CommandSetting] | None = None
    max_custom_series: int | None = Field(default=None, ge=1, le=100_000)


class GroupEntry(HostSettings):
    # member hosts (a host may also name its groups)
    hosts: list[str] = Field(default_factory=list)


class HostEntry(HostSettings):
    # name or IP to connect to (default: the host's name; an ~/.ssh/config alias works)
    address: str | None = None
    # groups this host is in (a group may also list its hosts)
    groups: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)


class InventoryFile(BaseModel):
    """The host part of the file. Other top-level sections are validated by their owners."""

    model_config = ConfigDict(extra="allow")

    defaults: HostSettings = Field(default_factory=HostSettings)
    groups: dict[str, GroupEntry | None] = Field(default_factory=dict)
    hosts: dict[str, HostEntry | None] = Field(default_factory=dict)


class Host(BaseModel):
    """One host, every setting resolved. What the poller and `sshmon check` work from."""

    model_config = ConfigDict(frozen=True)

    name: str
    address: str
    port: int | None = None
    user: str | None = None
    identity_files: tuple[Path, ...] = ()
    password_env: str | None = None
    passphrase_env: str | None = None
    jump: str | None = None
    known_hosts: Path | None = None
    trust_on_first_use: bool = False
    interval: float = 10.0
    timeout: float = 10.0
    connect_timeout: float = 10.0
    slow_every: int = 12
    max_output_bytes: int = 8 * 1024 * 1024
    # interfaces, disks, mounts, cpus kept per family per poll (poller/derive_cap.py)
    max_devices: int = 256
    transport: Literal["ssh", "local"] = "ssh"
    labels: tuple[tuple[str, str], ...] = ()
    groups: tuple[str, ...] = ()
    # the collectors polled on this host, in registry order (poller/collectors/registry.py)
    collectors: tuple[str, ...] = COLLECTOR_NAMES
    textfile_dir: str | None = None
    # by name; a later layer's command of the same name replaces an earlier one
    commands: tuple[CommandSetting, ...] = ()
    # user series (textfile + commands) kept per poll (poller/collectors/custom.py)
    max_custom_series: int = 1000


class Inventory(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    hosts: tuple[Host, ...]
    # every group defined under groups:, members or not (silences and rules may name them)
    groups: tuple[str, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict)

    def host(self, name: str) -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise KeyError(name)


# Top-level sections this module does not own but accepts, validated by store/api/alerts.
KNOWN_SECTIONS = frozenset({"database", "web", "alerts", "poller"})


def load(path: Path, doc: Document | None = None) -> Inventory:
    """Read, validate and resolve an inventory file; ConfigError lists each problem and line."""
    from poller import yamlfile

    doc = doc or yamlfile.load(path)
    if not isinstance(doc.data, dict):
        raise ConfigError([f"{path}:1: expected a mapping with a `hosts:` key"])
    raw = validate(doc, InventoryFile)
    unknown = [k for k in (raw.model_extra or {}) if k not in KNOWN_SECTIONS]
    problems = [f"{doc.where((k,))}: {k}: unknown top-level key" for k in unknown]
    problems += _check_names(doc, raw)
    if problems:
        raise ConfigError(problems)
    resolved = [_resolve(doc, raw, name) for name in raw.hosts]
    hosts = tuple(host for host, _ in resolved)
    problems = [p for _, host_problems in resolved for p in host_problems]
    problems = list(dict.fromkeys(problems))  # a bad default is reported once, not per host
    if problems:
        raise ConfigError(problems)
    return Inventory(
        path=path, hosts=hosts, groups=tuple(raw.groups), extra=dict(raw.model_extra or {})
    )


def valid_name(name: str) -> bool:
    """What a host or group may be called (also checked by `inventory import ansible`)."""
    return _NAME.match(name) is not None


def _check_names(doc: Document, raw: InventoryFile) -> list[str]:
    problems = []
    for section, names in (("hosts", raw.hosts), ("groups", raw.groups)):
        for name in names:
            if not valid_name(name):
                problems.append(
                    f"{doc.where((section, name))}: {section}.{name}: names may use letters, "
                    "digits, '.', '_' and '-' (up to 128)"
                )
    for gname, group in raw.groups.items():
        for member in group.hosts if group else []:
            if member not in raw.hosts:
                problems.append(
                    f"{doc.where(('groups', gname, 'hosts'))}: groups.{gname}.hosts: "
                    f"no host named {member!r} in hosts:"
                )
    for hname, entry in raw.hosts.items():
        for g in entry.groups if entry else []:
            if g not in raw.groups:
                problems.append(
                    f"{doc.where(('hosts', hname, 'groups'))}: hosts.{hname}.groups: "
                    f"no group named {g!r} in groups:"
                )
    return problems


def _resolve(doc: Document, raw: InventoryFile, name: str) -> tuple[Host, list[str]]:
    """Merge the layers for one host; also return problems with files and env vars it names,
    each reported at the line where the setting was made (defaults, a group or the host)."""
    entry = raw.hosts[name] or HostEntry()
    groups = [
        g for g, grp in raw.groups.items() if (grp and name in grp.hosts) or g in entry.groups
    ]
    layers: list[tuple[tuple[str, ...], HostSettings]] = [(("defaults",), raw.defaults)]
    layers += [(("groups", g), raw.groups[g] or GroupEntry()) for g in groups]
    layers.append((("hosts", name), entry))
    merged: dict[str, Any] = {}
    labels: dict[str, str] = {}
    collectors = set(COLLECTOR_NAMES)
    commands: dict[str, CommandSetting] = {}
    origin: dict[str, tuple[str, ...]] = {}
    for loc, layer in layers:
        for key in HostSettings.model_fields:
            value = getattr(layer, key)
            if value is None:
                continue
            if key == "labels":
                labels.update(value)
            elif key == "commands":
                commands.update((c.name, c) for c in value)
                origin[key] = (*loc, key)
            elif key == "collectors":
                collectors = (collectors | set(value.include)) - set(value.exclude)
            else:
                merged[key] = value
                origin[key] = (*loc, key)
    identity = tuple(Path(p).expanduser() for p in merged.pop("identity_file", []))
    known = merged.pop("known_hosts", None)
    host = Host(
        name=name,
        address=entry.address or name,
        identity_files=identity,
        known_hosts=Path(known).expanduser() if known else None,
        labels=tuple(sorted(labels.items())),
        groups=tuple(groups),
        collectors=tuple(n for n in COLLECTOR_NAMES if n in collectors),
        commands=tuple(commands.values()),
        **merged,
    )
    return host, _check_references(doc, host, origin)


def _check_references(doc: Document, host: Host, origin: dict[str, tuple[str, ...]]) -> list[str]:
    """Files and environment variables a host needs must exist before anything starts."""
    problems = []

    def report(key: str, what: str) -> None:
        loc = origin[key]
        problems.append(f"{doc.where(loc)}: {'.'.join(loc)}: {what} (host {host.name})")

    # commands run one after another inside the poll: all of them timing out together
    # (every one is due at the first poll) must still leave the poll time for /proc
    budget = sum(c.timeout for c in host.commands)
    if host.commands and budget > host.timeout / 2:
        report(
            "commands",
            f"the commands' timeouts add up to {budget} s, more than half the poll timeout "
            f"({host.timeout:g} s): lower them or raise `timeout:`",
        )
    for key_file in host.identity_files:
        if not key_file.is_file():
            report("identity_file", f"key file {key_file} does not exist")
    if host.known_hosts is not None and not host.known_hosts.is_file():
        report("known_hosts", f"file {host.known_hosts} does not exist")
    for key in ("password_env", "passphrase_env"):
        var = getattr(host, key)
        if var is not None and var not in os.environ:
            report(key, f"environment variable {var} is not set")
    return problems
