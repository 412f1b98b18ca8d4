"""Parse cgroup v2 files of systemd services and containers: CPU, memory and IO per cgroup.

The probe reads, in one `head` (a glob section: one `==> path <==` chunk per file), for
each service or container cgroup under the cgroup2 root:

* `cpu.stat`: `usage_usec N` (CPU time of every task in the cgroup, µs); present in every
  cgroup2 cgroup since Linux 4.15, with or without the cpu controller;
* `memory.current`: bytes charged to the cgroup (only where the memory controller is on);
* `io.stat`: one line per device, `MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N`,
  summed here over devices; a device with no IO yet has no line, so an empty file is 0 bytes
  (Documentation/admin-guide/cgroup-v2.rst, "IO Interface Files").

The root is `/sys/fs/cgroup` on a pure v2 ("unified") host and `/sys/fs/cgroup/unified` on a
hybrid one (v1 controllers plus a cgroup2 tree, where usually only cpu.stat has data). A file
that is absent leaves its field None: never a 0.

`/proc/uptime` is in the same `head`, so the reading carries the moment it was taken: its
rates span from one slow round to the next, whatever polls ran in between.

Every name comes from the target (unit names, container ids in paths): control characters are
escaped, lengths and the number of cgroups are capped (the poller caps again, keeping the
biggest: poller/derive_cap.py), and a name is a label value only, never code.
Pure: text in, a `Cgroups` reading out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from parsers.errors import ParseError
from parsers.frame import tail_files
from parsers.numbers import bounded_float, bounded_int

SOURCE: Final = "/sys/fs/cgroup"
# hybrid first: "/sys/fs/cgroup/" is a prefix of it
ROOTS: Final = ("/sys/fs/cgroup/unified", "/sys/fs/cgroup")
UPTIME: Final = "/proc/uptime"
FILES: Final = ("cpu.stat", "memory.current", "io.stat")
USEC_PER_S: Final = 1_000_000  # cpu.stat counts microseconds
# More cgroups than this in one reading is not a host but a flood: the rest are counted,
# not parsed. The poller's cap (max_devices per kind) is the one that decides what is kept.
MAX_CGROUPS: Final = 4096
# A unit name longer than this is cut, with a hash of the whole name so two long names
# that share a beginning stay two series (systemd allows 255 characters).
MAX_NAME: Final = 96
MAX_PATH: Final = 255  # the same for the cgroup path (cAdvisor's `id` label)
SHORT_ID: Final = 12  # hex digits of a container id, as `docker ps` shows it

Kind = Literal["service", "container"]
_HEX64: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
# leaf directory -> runtime, for the scopes systemd-managed runtimes create
_SCOPES: Final = (
    (re.compile(r"docker-([0-9a-f]{64})\.scope", re.ASCII), "docker"),
    (re.compile(r"libpod-([0-9a-f]{64})\.scope", re.ASCII), "podman"),
    (re.compile(r"cri-containerd-([0-9a-f]{64})\.scope", re.ASCII), "containerd"),
    (re.compile(r"crio-([0-9a-f]{64})\.scope", re.ASCII), "crio"),
)
# conmon, podman's and CRI-O's per-container monitor, gets a scope of its own: it is not
# the container (libpod-conmon-<id>.scope, crio-conmon-<id>.scope)
_MONITORS: Final = ("libpod-conmon-", "crio-conmon-")
# C0, DEL and C1, shown as \xNN (the same rule as poller/printable.py, which parsers
# cannot import: parsers depend on nothing in the poller)
_ESCAPED: Final = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}


@dataclass(frozen=True, slots=True)
class CgroupStats:
    """One service or container cgroup. `path` is the cgroup's path under the cgroup2 root,
    as cAdvisor's `id` label spells it (`/system.slice/nginx.service`); None fields: the
    file was absent (controller off, or a hybrid host)."""

    kind: Kind
    path: str
    cpu_seconds_total: float | None = None
    memory_bytes: int | None = None
    io_read_bytes_total: int | None = None
    io_write_bytes_total: int | None = None


@dataclass(frozen=True, slots=True)
class Cgroups:
    """Parsed cgroup files of one probe run: name -> stats, in the order first seen.

    Names: a unit's own name (`nginx.service`, `run-u42.scope`) or `runtime:id` with the id
    shortened to 12 hex digits (`docker:4f1c2a9e0b7d`), longer only where two ids of one
    reading share those 12. `uptime_seconds`: /proc/uptime read by the same `head`.
    `skipped`: cgroups over MAX_CGROUPS, left out."""

    groups: dict[str, CgroupStats] = field(default_factory=dict)
    uptime_seconds: float | None = None
    skipped: int = 0


@dataclass(slots=True)
class _Acc:
    kind: Kind
    runtime: str  # "" for a unit
    ident: str  # unit name, or the full container id
    path: str
    cpu: float | None = None
    memory: int | None = None
    io: tuple[int, int] | None = None


def parse(text: str) -> Cgroups | None:
    """The text of the probe's glob section (`==> path <==` chunks: parsers.frame). None
    when it holds no cgroup file at all, only the uptime: no cgroup2 tree on the host, or
    nothing on it where services and containers live (unavailable, not zero services)."""
    files = tail_files(text)
    if all(path == UPTIME for path, _ in files):
        return None
    return parse_files(files)


def parse_files(files: Iterable[tuple[str, str]]) -> Cgroups:
    """(path, body) pairs -> Cgroups. A path outside the cgroup roots, or a file whose text
    is not what the kernel prints, is a ParseError quoting it."""
    found: dict[str, _Acc] = {}
    uptime: float | None = None
    skipped: set[str] = set()
    for path, body in files:
        if path == UPTIME:
            uptime = _uptime(body)
            continue
        cgroup, _, name = path.rpartition("/")
        rel = _relative(cgroup, path)
        acc = found.get(rel)
        if acc is None:
            if rel in skipped:
                continue
            acc = _classify(rel)
            if acc is None:
                continue  # a cgroup the globs matched that is no service or container
            if len(found) >= MAX_CGROUPS:
                skipped.add(rel)
                continue
            found[rel] = acc
        _read_file(acc, name, body, path)
    return Cgroups(_named(found.values()), uptime, len(skipped))


def _uptime(body: str) -> float:
    line = body.strip()
    first = line.split(" ", 1)[0]
    return bounded_float(first, UPTIME, line, "malformed uptime line")


def _relative(cgroup: str, path: str) -> str:
    for root in ROOTS:
        if cgroup.startswith(root + "/"):
            return cgroup[len(root) :]
    raise ParseError(SOURCE, "file outside the cgroup2 roots", path)


def _classify(rel: str) -> _Acc | None:
    parts = rel.split("/")
    leaf, parent = parts[-1], parts[-2] if len(parts) > 2 else ""
    for pattern, runtime in _SCOPES:
        m = pattern.fullmatch(leaf)
        if m is not None:
            return _Acc("container", runtime, m.group(1), rel)
    if _HEX64.fullmatch(leaf):
        # cgroupfs drivers: /docker/<id>, /kubepods/<qos>/pod<uid>/<id>
        if parent == "docker":
            return _Acc("container", "docker", leaf, rel)
        if parent.startswith("pod") and "kubepods" in parts:
            return _Acc("container", "kubepods", leaf, rel)
        return None
    if leaf.startswith(_MONITORS):
        return None
    if leaf.endswith((".service", ".scope")):
        # a unit: a service, or a `systemd-run --scope` (run-*.scope) or other scope
        return _Acc("service", "", leaf, rel)
    return None


def _read_file(acc: _Acc, name: str, body: str, path: str) -> None:
    if name == "cpu.stat":
        acc.cpu = _cpu_seconds(body, path)
    elif name == "memory.current":
        line = body.strip()
        acc.memory = bounded_int(line, path, line, "memory.current is not an integer")
    elif name == "io.stat":
        acc.io = _io_bytes(body, path)
    else:
        raise ParseError(SOURCE, "not a file the probe reads", path)


def _cpu_seconds(body: str, path: str) -> float | None:
    for line in body.split("\n"):
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return bounded_int(value.strip(), path, line) / USEC_PER_S
    return None  # not a cgroup2 cpu.stat: unavailable, not 0


def _io_bytes(body: str, path: str) -> tuple[int, int]:
    read = written = 0
    for line in body.split("\n"):
        if not line.strip():
            continue
        device, *pairs = line.split()
        if ":" not in device:
            raise ParseError(path, "expected MAJ:MIN first", line)
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ParseError(path, "expected key=value", line)
            if key == "rbytes":
                read += bounded_int(value, path, line)
            elif key == "wbytes":
                written += bounded_int(value, path, line)
    return read, written


def _named(accs: Iterable[_Acc]) -> dict[str, CgroupStats]:
    """name -> stats; container ids shortened to 12 hex digits where that stays unique."""
    accs = list(accs)
    prefixes: dict[tuple[str, str], set[str]] = {}
    for a in accs:
        if a.kind == "container":
            prefixes.setdefault((a.runtime, a.ident[:SHORT_ID]), set()).add(a.ident)
    out: dict[str, CgroupStats] = {}
    for a in accs:
        if a.kind == "container":
            clash = len(prefixes[(a.runtime, a.ident[:SHORT_ID])]) > 1
            name = f"{a.runtime}:{a.ident if clash else a.ident[:SHORT_ID]}"
        else:
            name = _capped(a.ident, MAX_NAME)
        stats = CgroupStats(a.kind, _capped(a.path, MAX_PATH), a.cpu, a.memory)
        if a.io is not None:
            stats = replace(stats, io_read_bytes_total=a.io[0], io_write_bytes_total=a.io[1])
        out.setdefault(name, stats)  # one cgroup under both roots: the first is kept
    return out


def _capped(text: str, limit: int) -> str:
    """`text` escaped, and if longer than `limit`, cut with a hash of the whole of it."""
    shown = _escaped(text)
    if len(shown) <= limit:
        return shown
    digest = hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return f"{shown[: limit - 9]}~{digest}"


def _escaped(text: str) -> str:
    return text.translate(_ESCAPED)
