"""The per-host cardinality cap: at most `limit` devices per family go on to points and /metrics.

A target decides how many interfaces, disks, mounts and cpus it reports; one with 3,000
veth interfaces made 24,095 latest values and a 6 MB /metrics on its own. Applied to the
readings right after parsing, so derivation, the store, the live view and /metrics all see
the same capped set, and nothing is dropped silently: the caller reports the counts in the
poll status and in `sshmon_series_dropped_total{host,family}`.

The first `limit` devices in the order the target printed them are kept: the kernel lists
lo, the physical NICs and whole disks before the churn of containers, and the order is
stable from poll to poll, so rates keep their previous value to compare with.
Services and containers (cgroups) have no such order, so the biggest are kept instead
(`cap_cgroups`), `limit` of each kind.
Pure: readings in, readings out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from itertools import islice
from typing import Final, NamedTuple

from parsers.cmd_df import Df
from parsers.proc_diskstats import Diskstats
from parsers.proc_mdstat import MdStat
from parsers.proc_mounts import Mounts
from parsers.proc_net_arp import Arp
from parsers.proc_net_dev import NetDev
from parsers.proc_net_softnet_stat import Softnet
from parsers.proc_stat import ProcStat
from parsers.sys_block_ioerr import IoErrors
from parsers.sys_class_hwmon import Hwmon
from parsers.sys_class_net import NetClass
from parsers.sys_class_net_bonding import Bonding
from parsers.sys_class_thermal import Thermal
from parsers.sys_fs_cgroup import Cgroups, CgroupStats

# section -> (the reading's field holding its devices, what they are called in a reason)
DEVICE_FIELDS: Final = {
    "net_dev": ("interfaces", "interfaces"),
    "diskstats": ("devices", "block devices"),
    "df": ("rows", "filesystems"),
    "df_inodes": ("rows", "filesystems"),
    "mounts": ("mounts", "mounts"),
    "stat": ("cpus", "cpus"),
    "softnet_stat": ("cpus", "softnet cpus"),
    "net_arp": ("devices", "ARP devices"),
    # glob families come sorted by name (the shell's order), so the cap keeps the first
    # names: eno*/eth* sort before the veth* a container host churns through
    "net_class": ("interfaces", "interfaces (link state)"),
    "net_link": ("interfaces", "interfaces (link speed, MTU)"),
    "net_ids": ("interfaces", "interfaces (identifiers)"),
    "bonding": ("masters", "bonding masters"),
    "hwmon": ("chips", "hwmon chips"),
    "hwmon_names": ("chips", "hwmon chips (names)"),
    "hwmon_limits": ("chips", "hwmon chips (limits)"),
    "hwmon_devices": ("chips", "hwmon chips (devices)"),
    "hwmon_on_device": ("chips", "hwmon chips (sensors on their devices)"),
    "thermal": ("zones", "thermal zones"),
    "thermal_types": ("zones", "thermal zones (types)"),
    "mdstat": ("arrays", "md arrays"),
    "ioerr": ("devices", "disks (I/O errors)"),
}
_TYPES: Final = {
    "net_dev": NetDev,
    "diskstats": Diskstats,
    "df": Df,
    "df_inodes": Df,
    "mounts": Mounts,
    "stat": ProcStat,
    "softnet_stat": Softnet,
    "net_arp": Arp,
    "net_class": NetClass,
    "net_link": NetClass,
    "net_ids": NetClass,
    "bonding": Bonding,
    "hwmon": Hwmon,
    "hwmon_names": Hwmon,
    "hwmon_limits": Hwmon,
    "hwmon_devices": Hwmon,
    "hwmon_on_device": Hwmon,
    "thermal": Thermal,
    "thermal_types": Thermal,
    "mdstat": MdStat,
    "ioerr": IoErrors,
}


class Capped(NamedTuple):
    readings: dict[str, object]
    dropped: dict[str, int]  # section -> devices left out this poll
    reasons: dict[str, str]  # section -> words for the poll status


def cap_devices(readings: Mapping[str, object], limit: int) -> Capped:
    out = dict(readings)
    dropped: dict[str, int] = {}
    reasons: dict[str, str] = {}
    for section, (attr, what) in DEVICE_FIELDS.items():
        reading = readings.get(section)
        if not isinstance(reading, _TYPES[section]):
            continue
        devices = getattr(reading, attr)
        if len(devices) <= limit:
            continue
        kept: object
        if isinstance(devices, Mapping):
            kept = dict(islice(devices.items(), limit))
        else:
            kept = tuple(devices[:limit])
        out[section] = replace(reading, **{attr: kept})  # type: ignore[type-var]
        dropped[section] = len(devices) - limit
        reasons[section] = (
            f"{len(devices) - limit} of {len(devices)} {what} dropped over the cap of "
            f"{limit} (max_devices)"
        )
    cgroups = readings.get("cgroups")
    if isinstance(cgroups, Cgroups):
        kept_cg, reason = cap_cgroups(cgroups, limit)
        if reason:
            out["cgroups"] = kept_cg
            dropped["cgroups"] = len(cgroups.groups) - len(kept_cg.groups)
            reasons["cgroups"] = reason
    return Capped(out, dropped, reasons)


def cap_cgroups(reading: Cgroups, limit: int) -> tuple[Cgroups, str]:
    """At most `limit` services and `limit` containers: half the places go to the most CPU
    time used since they started, the rest to the most memory, so an idle database holding
    gigabytes stays next to the busy workers. Cumulative CPU rather than the last round's
    keeps the chosen set stable from round to round, so their rates go on. The kept ones
    stay in the target's order. ('' when nothing was dropped.)"""
    kinds: dict[str, list[tuple[str, CgroupStats]]] = {}
    for item in reading.groups.items():
        kinds.setdefault(item[1].kind, []).append(item)
    keep: set[str] = set()
    words = []
    for kind, items in kinds.items():
        if len(items) <= limit:
            keep.update(name for name, _ in items)
            continue
        by_cpu = sorted(items, key=lambda i: -(i[1].cpu_seconds_total or 0.0))
        chosen = {name for name, _ in by_cpu[: (limit + 1) // 2]}
        # ties (no memory.current on a hybrid host: all None) go by CPU again
        by_memory = sorted(
            items, key=lambda i: (-(i[1].memory_bytes or 0), -(i[1].cpu_seconds_total or 0.0))
        )
        for name, _ in by_memory:
            if len(chosen) >= limit:
                break
            chosen.add(name)
        keep |= chosen
        words.append(f"{len(items) - limit} of {len(items)} {kind}s")
    if not words:
        return reading, ""
    groups = {name: stats for name, stats in reading.groups.items() if name in keep}
    reason = " and ".join(words) + f" dropped over the cap of {limit} each, the biggest kept"
    return replace(reading, groups=groups), reason + " (max_devices)"
