"""The exported sample: one value with node_exporter's name, labels, type and HELP.

What each family exports (and how node_exporter spells it) lives with its collector in
poller/collectors/; `poller.collectors.registry.samples` assembles them. This module keeps
the shared shape, and re-exports the filters and renderers so it stays the one import for
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from parsers.exposition_filters import (
    DISK_EXCLUDED,
    FSTYPES_EXCLUDED,
    MOUNTPOINTS_EXCLUDED,
    NETSTAT_FIELDS,
    VMSTAT_FIELDS,
)
from parsers.exposition_render import families, render, render_json, render_prometheus

SampleType = Literal["counter", "gauge", "untyped"]

# names built from target text (meminfo, vmstat, netstat keys) must still be metric names
METRIC_NAME: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")

__all__ = [
    "DISK_EXCLUDED", "FSTYPES_EXCLUDED", "METRIC_NAME", "MOUNTPOINTS_EXCLUDED",
    "NETSTAT_FIELDS", "VMSTAT_FIELDS", "Labels", "Sample", "SampleType", "families",
    "node_sample", "render", "render_json", "render_prometheus",
]  # fmt: skip

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Sample:
    """One exported value. `type` is node_exporter's: vmstat and netstat are 'untyped'."""

    name: str
    labels: Labels
    value: float
    type: SampleType
    help: str


def node_sample(
    name: str, value: float, typ: SampleType, help_: str, labels: Labels = ()
) -> Sample:
    """A sample named `node_<name>`, as node_exporter's families are."""
    return Sample(f"node_{name}", labels, value, typ, help_)
