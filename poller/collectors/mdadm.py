"""mdadm: Linux software RAID arrays (/proc/mdstat): state, disks, sync progress.

Stored per array: the disks the array needs, has active, has failed and has spare, the
members missing from it (`_` in [UU_]), whether it is degraded (for the default alert),
its state as a number (STATES below) and, while one runs, the sync progress in percent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_mdstat
from parsers.exposition import Sample, node_sample
from parsers.proc_mdstat import STATES, MdStat
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, G, MetricSpec, P

# absent until the md driver is loaded (no array was ever assembled): unavailable, not 0
MDSTAT: Final = Source("mdstat", proc_mdstat.parse, path="/proc/mdstat", optional=True)
_D: Final = "device"
METRICS: Final = (
    MetricSpec(
        "md_state",
        "count",
        G,
        _D,
        "Array state: 0 active, 1 inactive, 2 recovering, 3 resync, 4 check",
        EXACT,
    ),
    MetricSpec("md_degraded", "count", G, _D, "1 when members are missing, else 0", EXACT),
    MetricSpec("md_disks_required", "count", G, _D, "Disks the array is made of", EXACT),
    MetricSpec("md_disks_active", "count", G, _D, "Active disks", EXACT),
    MetricSpec("md_disks_failed", "count", G, _D, "Failed disks, marked (F)", EXACT),
    MetricSpec("md_disks_spare", "count", G, _D, "Spare disks, marked (S)", EXACT),
    MetricSpec("md_disks_down", "count", G, _D, "Members missing: '_' in [UU_]", EXACT),
    MetricSpec(
        "md_sync_percent",
        P,
        P,
        _D,
        "Progress of a running recovery, resync or check (synced / to sync blocks)",
        PCT,
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    md = reading(r, "mdstat", MdStat)
    if md is None:
        return
    add = out.append
    for dev, a in md.arrays.items():
        add(("md_state", dev, STATES.index(a.state)))
        add(("md_degraded", dev, 1 if a.degraded else 0))
        add(("md_disks_required", dev, a.disks_required))
        add(("md_disks_active", dev, a.disks_active))
        add(("md_disks_failed", dev, a.disks_failed))
        add(("md_disks_spare", dev, a.disks_spare))
        add(("md_disks_down", dev, a.disks_down))
        if (pct := a.sync_percent) is not None:
            add(("md_sync_percent", dev, pct))


def samples(r: Readings) -> Iterator[Sample]:
    md = reading(r, "mdstat", MdStat)
    if md is None:
        return
    for dev, a in md.arrays.items():
        labels = (("device", dev),)
        yield node_sample("md_blocks", a.blocks, "gauge", _HELP_BLOCKS, labels)
        yield node_sample("md_blocks_synced", a.blocks_synced, "gauge", _HELP_SYNCED, labels)
        for state, n in (
            ("active", a.disks_active),
            ("failed", a.disks_failed),
            ("spare", a.disks_spare),
        ):
            lab = (("device", dev), ("state", state))
            yield node_sample("md_disks", n, "gauge", _HELP_DISKS, lab)
        yield node_sample("md_disks_required", a.disks_required, "gauge", _HELP_REQUIRED, labels)
        for state in STATES:
            lab = (("device", dev), ("state", state))
            yield node_sample("md_state", 1 if a.state == state else 0, "gauge", _HELP_STATE, lab)


_HELP_BLOCKS: Final = "Total number of blocks on device."
_HELP_SYNCED: Final = "Number of blocks synced on device."
_HELP_DISKS: Final = "Number of active/failed/spare disks of device."
_HELP_REQUIRED: Final = "Total number of disks of device."
_HELP_STATE: Final = "Indicates the state of md-device."

COLLECTOR: Final = Collector(
    "mdadm",
    "Software RAID arrays (/proc/mdstat)",
    (MDSTAT,),
    METRICS,
    gauges,
    None,
    samples,
)
