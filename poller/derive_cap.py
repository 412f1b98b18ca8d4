"""The per-host cardinality cap: at most `limit` devices per family go on to points and /metrics.

A target decides how many interfaces, disks, mounts and cpus it reports; one with 3,000
veth interfaces made 24,095 latest values and a 6 MB /metrics on its own. Applied to the
readings right after parsing, so derivation, the store, the live view and /metrics all see
the same capped set, and nothing is dropped silently: the caller reports the counts in the
poll status and in `sshmon_series_dropped_total{host,family}`.

The first `limit` devices in the order the target printed them are kept: the kernel lists
lo, the physical NICs and whole disks before the churn of containers, and the order is
stable from poll to poll, so rates keep their previous value to compare with.
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
from parsers.proc_net_dev import NetDev
from parsers.proc_stat import ProcStat
from parsers.sys_block_ioerr import IoErrors
from parsers.sys_class_hwmon import Hwmon
from parsers.sys_class_net import NetClass
from parsers.sys_class_net_bonding import Bonding
from parsers.sys_class_thermal import Thermal

# section -> (the reading's field holding its devices, what they are called in a reason)
DEVICE_FIELDS: Final = {
    "net_dev": ("interfaces", "interfaces"),
    "diskstats": ("devices", "block devices"),
    "df": ("rows", "filesystems"),
    "df_inodes": ("rows", "filesystems"),
    "mounts": ("mounts", "mounts"),
    "stat": ("cpus", "cpus"),
    # glob families come sorted by name (the shell's order), so the cap keeps the first
    # names: eno*/eth* sort before the veth* a container host churns through
    "net_class": ("interfaces", "interfaces (link state)"),
    "net_link": ("interfaces", "interfaces (link speed, MTU)"),
    "bonding": ("masters", "bonding masters"),
    "hwmon": ("chips", "hwmon chips"),
    "hwmon_limits": ("chips", "hwmon chips (limits)"),
    "thermal": ("zones", "thermal zones"),
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
    "net_class": NetClass,
    "net_link": NetClass,
    "bonding": Bonding,
    "hwmon": Hwmon,
    "hwmon_limits": Hwmon,
    "thermal": Thermal,
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
    return Capped(out, dropped, reasons)
