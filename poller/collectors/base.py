"""What a collector is: the probe sections it asks for, and what it makes of them.

A collector (node_exporter's unit, one module per source area in this package) owns
everything about its source: the files or commands the probe reads for it and at what
cadence, the pure parser of each (in parsers/), its derivation into points, its catalog
rows and its node_exporter names. poller/collectors/registry.py lists them in one literal
tuple; the probe, the section table, the catalog and the exposition are assembled from it.

Everything here is pure: readings in, triples or samples out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from parsers.exposition import Sample
from parsers.links import MAX_PATH
from poller.metric_spec import MetricSpec

Triple = tuple[str, str, float]
Readings = Mapping[str, object]
R = TypeVar("R")

Gauges = Callable[[Readings, list[Triple]], None]
Rates = Callable[[Readings, Readings, float, list[Triple]], None]
Exposition = Callable[[Readings], Iterable[Sample]]

# `Source.every` of what stays fixed until a reboot or an upgrade (kernel, OS release, cpus,
# page size): every 30th slow round, an hour at the default 10 s x 12. A reboot is a new
# connection, which reads every slow section at once; an upgrade without one shows within
# the hour.
FIXED_WHILE_UP = 30

# the cadence (slow rounds) of rarely-changing /sys and /etc files: clock sources, SELinux
# state and the interfaces' identifiers, all read by one `head` at those rounds; one
# constant, so they cannot drift into separate `head`s (a process each)
RARE_FILES_EVERY = 5


@dataclass(frozen=True, slots=True)
class Source:
    """One probe section: a file read by the every-poll `tail`, or a slow-round file or
    command, or the files some globs match. Exactly one of `path`, `command` and `globs`
    is set. `command` and `globs` are fixed text written here, never built from inventory
    or target text. A glob section's text is `==> PATH <==` and the body of every file
    matched, in order (parsers.frame.tail_files reads it back)."""

    section: str
    parse: Callable[[str], object]
    path: str | None = None
    command: str | None = None
    # absolute paths with `*` as the only wildcard, each within one path component
    # (`/sys/class/net/*/mtu`): the probe passes them unquoted so the target's shell
    # expands them, and the frame splitter matches headers against them
    globs: tuple[str, ...] = ()
    slow: bool = False
    # where a slow file may live instead (os-release: /usr/lib/os-release)
    fallback: str | None = None
    # absent on some kernels without anything being wrong (PSI before 4.20): such a
    # section may be missing from a real probe run
    optional: bool = False
    # a slow reading that stays true until the next slow round, a property of the host
    # rather than a measurement (the page size): derivation sees it at every poll
    held: bool = False
    # the files a `command` filters with `grep -H` (/proc/net/udp, udp6): `sshmon replay
    # --root` reads them from a saved tree and prefixes each line with its path as grep
    # does, so the parser must take the unfiltered lines as well
    reads: tuple[str, ...] = ()
    # a slow section whose rates span one slow round to the next: the poller keeps its
    # reading in the previous snapshot until the next round reads it again. Its collector
    # must then take the interval from the reading itself (cgroups carries /proc/uptime),
    # never from `dt`, the time since the previous *poll*.
    carried: bool = False
    # a slow section is read at every `every`-th slow round (and always at the first poll
    # of a connection): what changes rarely is read rarely, since each process the slow
    # round starts costs the target ~0.5 ms (bench/README.md, "Target cost"). The poller
    # keeps its last reading in between (host info, `held`, `carried`, /metrics); its
    # stored points come only when it is read, and the alert engine waits `every` times
    # longer before calling such a series gone (registry.SLOW_ROUNDS).
    every: int = 1
    # the symlinks a `command` resolves (`links_command`, the hwmon chips' `device`):
    # `sshmon replay --root` resolves them inside the saved tree and frames them the same way
    links: str | None = None
    # fast globs that match nothing on most hosts (files older drivers put elsewhere): the
    # every-poll read passes them only while they matched at the session's start or the
    # last slow round, so most hosts do not pay the shell's listing of their directories
    # at every poll (poller/probe.py, SPARSE_CHECK)
    sparse: bool = False

    def __post_init__(self) -> None:
        if self.every < 1 or (self.every > 1 and not self.slow):
            raise ValueError(f"{self.section}: every must be 1, or more for a slow section")
        if sum(x is not None for x in (self.path, self.command)) + bool(self.globs) != 1:
            raise ValueError(f"{self.section}: exactly one of path, command, globs")
        for glob in self.globs:
            check_glob(glob)
        if self.sparse and (self.slow or not self.globs or not self.section.isidentifier()):
            raise ValueError(f"{self.section}: only a fast glob section may be sparse")
        if self.links is not None and self.command != links_command(self.links):
            raise ValueError(f"{self.section}: a links section's command is links_command")


def links_command(glob: str) -> str:
    """Shell text printing where each symlink `glob` matches resolves, as parsers/links.py
    reads it: `NAME PATH` per link that leads to a directory, NAME the directory holding the
    link. `cd -P` resolves the link and `$PWD` says where it went, both builtins of dash,
    bash and busybox sh, so no process is started (`readlink -f` would be one per link);
    the session's directory is restored after (its home, should that be gone), since the
    operator's commands run in it. A line that would not be printable ASCII or whose path
    is over parsers.links.MAX_PATH bytes is not printed: a path may hold a newline."""
    check_glob(glob)
    return (
        f"_sm_o=$PWD; for _sm_l in {glob}; do "
        'cd -P "$_sm_l" 2>/dev/null || continue; _sm_n=${_sm_l%/*}; '
        'case "${_sm_n##*/} $PWD" in *[![:print:]]*) ;; '
        f'*) [ ${{#PWD}} -gt {MAX_PATH} ] || printf \'%s %s\\n\' "${{_sm_n##*/}}" "$PWD";; esac; '
        'done; cd "$_sm_o" 2>/dev/null || cd'
    )


# `@`: systemd's per-user manager is `user@UID.service`; sh takes it literally
_GLOB_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./*@")


def check_glob(glob: str) -> None:
    """A glob goes into the probe unquoted: only characters the shell takes literally, `*`
    as the one wildcard, an absolute path without `.`/`..`/empty components. A plain path
    (no `*`) is a glob matching itself: cgroups reads /proc/uptime in the same `head` as
    its cgroup files, as the clock of that reading."""
    parts = glob.split("/")
    if (
        not set(glob) <= _GLOB_CHARS
        or parts[0] != ""
        or any(p in ("", ".", "..") for p in parts[1:])
    ):
        raise ValueError(f"not a probe glob: {glob!r}")


@dataclass(frozen=True, slots=True)
class NodeName:
    """A stored gauge with an exact node_exporter equivalent, for /metrics when only the
    store has a host's values (api/metrics.py); `dev_label` names the label for `dev`."""

    metric: str
    name: str
    help: str
    dev_label: str | None = None
    untyped: bool = False


@dataclass(frozen=True, slots=True)
class Collector:
    """One source area. `gauges` sees the current poll's readings; `rates` the previous
    and current ones and the seconds between them (called only when a rate may be taken).
    `samples` names raw readings as node_exporter does (`sshmon replay`, /metrics)."""

    name: str
    help: str
    sources: tuple[Source, ...]
    metrics: tuple[MetricSpec, ...] = ()
    gauges: Gauges | None = None
    rates: Rates | None = None
    samples: Exposition | None = None
    node_names: tuple[NodeName, ...] = field(default=())

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(s.section for s in self.sources)


def reading(readings: Readings, section: str, kind: type[R]) -> R | None:
    """The section's reading if it is of the expected type, else None."""
    value = readings.get(section)
    return value if isinstance(value, kind) else None


def counter_rate(v0: float | None, v1: float | None, dt: float) -> float | None:
    """Per-second increase; None when a side is missing or the counter went down (reset)."""
    if v0 is None or v1 is None or v1 < v0:
        return None
    return (v1 - v0) / dt


def counter_rates(
    before: Mapping[str, object],
    after: Mapping[str, object],
    table: tuple[tuple[str, Callable[[Any], float | None]], ...],
    dt: float,
    out: list[Triple],
) -> None:
    """Rates of each (metric, field getter) in `table` per device present on both sides.

    One loop appending to one list: nesting generators here cost twice as much."""
    add = out.append
    for dev, c1 in after.items():
        c0 = before.get(dev)
        if c0 is None:
            continue  # new device or interface: its first rate comes next poll
        for name, get in table:
            v0, v1 = get(c0), get(c1)
            if v0 is not None and v1 is not None and v1 >= v0:
                add((name, dev, (v1 - v0) / dt))
