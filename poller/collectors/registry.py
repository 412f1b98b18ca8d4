"""The collectors, in one literal tuple, and the tables assembled from them.

Nothing registers itself at import time (CONVENTIONS.md rule 1): adding a family is one
module in this package, a line here, its tests and a fixture. The probe's file and command
lists (poller/probe.py), the section -> parser table, the catalog (poller/catalog.py) and
the node_exporter exposition are all built from `COLLECTORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from types import MappingProxyType
from typing import Final

from parsers.cmd_df import Df
from parsers.errors import ParseError
from parsers.exposition import Sample
from parsers.frame import Section
from poller.collectors import (
    arp,
    bonding,
    cgroups,
    conntrack,
    cpu,
    disk_errors,
    diskstats,
    entropy,
    filefd,
    filesystem,
    hwmon,
    loadavg,
    mdadm,
    meminfo,
    netclass,
    netdev,
    netstat,
    netstat6,
    os_release,
    pressure,
    selinux,
    sockstat,
    sockstat6,
    softnet,
    stat,
    systemd,
    tcpstat,
    thermal_zone,
    time,
    timex,
    udp_queues,
    uname,
    uptime,
    vmstat,
)
from poller.collectors.base import Collector, Source

_BY_NAME_AND_LABELS: Final = attrgetter("name", "labels")  # C-level: no lambda per sample

COLLECTORS: Final[tuple[Collector, ...]] = (
    cpu.COLLECTOR,
    stat.COLLECTOR,
    loadavg.COLLECTOR,
    meminfo.COLLECTOR,
    vmstat.COLLECTOR,
    filesystem.COLLECTOR,
    diskstats.COLLECTOR,
    netdev.COLLECTOR,
    netstat.COLLECTOR,
    sockstat.COLLECTOR,
    filefd.COLLECTOR,
    pressure.COLLECTOR,
    cgroups.COLLECTOR,
    uptime.COLLECTOR,
    os_release.COLLECTOR,
    uname.COLLECTOR,
    netstat6.COLLECTOR,
    sockstat6.COLLECTOR,
    conntrack.COLLECTOR,
    entropy.COLLECTOR,
    softnet.COLLECTOR,
    arp.COLLECTOR,
    udp_queues.COLLECTOR,
    tcpstat.COLLECTOR,
    timex.COLLECTOR,
    time.COLLECTOR,
    selinux.COLLECTOR,
    systemd.COLLECTOR,
    netclass.COLLECTOR,
    bonding.COLLECTOR,
    hwmon.COLLECTOR,
    thermal_zone.COLLECTOR,
    mdadm.COLLECTOR,
    disk_errors.COLLECTOR,
)
BY_NAME: Final[Mapping[str, Collector]] = MappingProxyType({c.name: c for c in COLLECTORS})
NAMES: Final = tuple(BY_NAME)


def sources(collectors: Iterable[Collector] = COLLECTORS) -> dict[str, Source]:
    """Section -> source of the given collectors, each section once (cpu and stat share
    /proc/stat: the probe reads it once when either is on)."""
    out: dict[str, Source] = {}
    for c in collectors:
        for s in c.sources:
            out.setdefault(s.section, s)
    return out


SOURCES: Final[Mapping[str, Source]] = MappingProxyType(sources())
# Keys are the probe's section names; every parser is pure (parsers/).
PARSERS: Final[Mapping[str, Callable[[str], object]]] = MappingProxyType(
    {name: s.parse for name, s in SOURCES.items()}
)
# section -> the collectors that read it
OWNERS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {name: tuple(c.name for c in COLLECTORS if name in c.sections) for name in SOURCES}
)

# slow metric -> the slow rounds between two of its samples where more than 1 (the alert
# engine waits that much longer before a series counts as gone): a collector's slow points
# come at every round its most frequent slow section is read. A rarer section beside it
# feeds /metrics only (netclass's interface identifiers, `every`=5, store nothing); a
# metric read rarely has its own collector with that one slow section (tcpstat, timex).
SLOW_ROUNDS: Final[Mapping[str, int]] = MappingProxyType(
    {
        m.name: every
        for c in COLLECTORS
        if (every := min((s.every for s in c.sources if s.slow), default=1)) > 1
        for m in c.metrics
        if m.slow
    }
)


def enabled(names: Iterable[str] | None) -> tuple[Collector, ...]:
    """The collectors of `names` in registry order (all of them for None)."""
    if names is None:
        return COLLECTORS
    wanted = set(names)
    return tuple(c for c in COLLECTORS if c.name in wanted)


@dataclass(frozen=True, slots=True)
class ParsedPoll:
    """Readings by section name, and the sections that failed with the reason why (a
    section that parsed but left rows out is in both).

    A section in neither dict was unavailable on the host (no such file, no PSI before
    4.20, a command that printed nothing and failed, a parser that found none of its
    files and said so with None): quiet, not an error.
    """

    readings: dict[str, object]
    failures: dict[str, str]


def parse_all(
    sections: Mapping[str, Section], parsers: Mapping[str, Callable[[str], object]] = PARSERS
) -> ParsedPoll:
    """Parse every section on its own: one bad section costs only that section.

    Every parser cuts lines with `text.split("\\n")`, never `str.splitlines()`: the kernel
    ends lines with \\n only, while splitlines() also cuts at \\x1c-\\x1e, \\x85 and
    \\u2028, which a mount point, an interface alias or an os-release value may contain.
    """
    readings: dict[str, object] = {}
    failures: dict[str, str] = {}
    for name, section in sections.items():
        parser = parsers.get(name)
        if parser is None:
            continue  # a section this version does not read (newer probe)
        if section.rc and not section.text.strip():
            # `cat` of a missing file, a missing command, grep that matched nothing.
            # A failed command that did print (df exits 1 when one mount fails)
            # is parsed like any other output.
            continue
        try:
            reading = parser(section.text)
        except ParseError as exc:
            failures[name] = str(exc)
            continue
        if reading is None:
            # the section held none of its source's files: only what rides along with
            # them (cgroups reads /proc/uptime as its clock, on a host without a cgroup2
            # tree too), so the source is not on this host
            continue
        readings[name] = reading
        if isinstance(reading, Df) and reading.skipped:
            # the reading stays; the section still reports what it left out, and why
            total = len(reading.rows) + len(reading.skipped)
            failures[name] = f"kept {len(reading.rows)} of {total} rows; " + "; ".join(
                reading.skipped
            )
    return ParsedPoll(readings, failures)


def samples(readings: Mapping[str, object]) -> list[Sample]:
    """Readings -> samples named, labelled and scaled exactly as node_exporter exports them.

    So any capture can be compared with node_exporter on the same host, and existing
    node_exporter dashboards work on sshmon's /metrics. Only what the probe reads is
    exported: no node_time_seconds (the target's clock is not read), node_uname_info
    without `domainname`.
    """
    out: list[Sample] = []
    for c in COLLECTORS:
        if c.samples is not None:
            out.extend(c.samples(readings))
    out.sort(key=_BY_NAME_AND_LABELS)
    return out
