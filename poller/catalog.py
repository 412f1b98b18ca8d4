"""The one catalog of stored metrics: name, unit, kind, dev label, meaning and precision.

Assembled from the collectors (poller/collectors/registry.py), each of which declares its
own rows next to the derivation that emits them; derivation emits only names listed here
(tests enforce it); storage, API docs, chart titles/units and alert-rule validation read
the same table. Names are stable API: rename only with a migration. A metric with a `dev`
label is stored once per device, interface or mount point in the point's `dev` field;
host-wide metrics have dev ''. `precision` is how the writer rounds the metric's values
(poller/precision.py, the reasons in poller/metric_spec.py); `slow` marks metrics of the
slow round (df), stored only at the polls that ran it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from poller.collectors.registry import COLLECTORS
from poller.metric_spec import DevLabel, Kind, MetricSpec, Unit

__all__ = ["METRICS", "DevLabel", "Kind", "MetricSpec", "Unit", "owner", "per_dev_metrics"]

METRICS: Final[Mapping[str, MetricSpec]] = MappingProxyType(
    {s.name: s for c in COLLECTORS for s in c.metrics}
)
_OWNER: Final = MappingProxyType({s.name: c.name for c in COLLECTORS for s in c.metrics})


def owner(metric: str) -> str | None:
    """The collector that derives `metric`, None for a name not in the catalog."""
    return _OWNER.get(metric)


def per_dev_metrics(dev: DevLabel | None = None) -> tuple[MetricSpec, ...]:
    """Metrics stored per device/interface/mount point (all of them, or those of one label)."""
    return tuple(s for s in METRICS.values() if s.dev is not None and dev in (None, s.dev))
