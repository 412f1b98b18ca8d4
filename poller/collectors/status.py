"""Per poll, per collector: ok, unavailable (its files do not exist on this kernel) or
failed (with the reason), as node_exporter's `node_scrape_collector_success` says.

A missing section is quiet (PSI before 4.20 is not an error); a parse error or a
derivation error is loud and names the collector. Only collectors whose sections ran this
poll get a status: a slow-round collector between slow rounds keeps its last one.
Pure: sections in, statuses out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from poller.collectors.base import Collector


class CollectorState(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    state: CollectorState
    reason: str = ""


OK: Final = CollectorStatus(CollectorState.OK)


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """A collector's sections, worked out once per host rather than on every poll."""

    name: str
    fast: tuple[str, ...]  # and held (Source.held)
    every: tuple[str, ...]  # fast and slow
    unavailable: CollectorStatus  # with the files and commands it reads


def status_plans(collectors: tuple[Collector, ...]) -> tuple[StatusPlan, ...]:
    return tuple(
        StatusPlan(
            c.name,
            # a held slow reading (hwmon's names) is seen at every poll: it counts there
            tuple(s.section for s in c.sources if not s.slow or s.held),
            c.sections,
            CollectorStatus(
                CollectorState.UNAVAILABLE,
                "not on the target: "
                + ", ".join(
                    s.path or _globs(s.globs) or s.links or (s.command or "").split()[0]
                    for s in c.sources
                ),
            ),
        )
        for c in collectors
    )


def _globs(globs: tuple[str, ...]) -> str:
    # cgroups reads 55 globs: the reason names the first few, not a screenful. A plain path
    # among them is read beside the files (cgroups' /proc/uptime, the clock of its rates)
    # and is there on every Linux host: what is missing is the wildcard ones.
    wild = [g for g in globs if "*" in g] or list(globs)
    shown = " ".join(wild[:3])
    return f"{shown} (and {len(wild) - 3} more)" if len(wild) > 3 else shown


def statuses(
    plans: tuple[StatusPlan, ...],
    slow: bool,
    measured: Mapping[str, object],
    failures: Mapping[str, str],
    broken: Mapping[str, str],
    skipped: frozenset[str] = frozenset(),
) -> dict[str, CollectorStatus]:
    """`measured`: readings of this poll; `failures`: section -> parse error; `broken`:
    collector -> derivation error (poller/derive.py); `skipped`: slow sections this slow
    round did not read (not due: `Source.every`), judged neither ok nor unavailable. Runs
    every poll of every host, so the usual case (nothing failed) allocates nothing but the
    result."""
    out: dict[str, CollectorStatus] = {}
    for p in plans:
        sections = p.every if slow else p.fast
        if skipped:
            sections = tuple(s for s in sections if s not in skipped)
        if not sections:
            continue
        if failures or broken:
            reasons = [f"{s}: {failures[s]}" for s in sections if s in failures]
            if p.name in broken:
                reasons.append(broken[p.name])
            if reasons:
                out[p.name] = CollectorStatus(CollectorState.FAILED, "; ".join(reasons))
                continue
        for s in sections:
            if s in measured:
                out[p.name] = OK
                break
        else:
            out[p.name] = p.unavailable
    return out
