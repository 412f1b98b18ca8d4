"""Parse /sys/class/net/*/bonding/slaves and /sys/class/net/*/bonding_slave/mii_status.

A bonding master lists its slaves in `bonding/slaves` (space separated, empty when it has
none); every slave has `bonding_slave/mii_status` ("up", "down", "going down", "going
back", drivers/net/bonding/bond_sysfs_slave.c). As node_exporter's bonding collector, a
slave counts as active when its MII status is "up".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.frame import tail_files

SOURCE: Final = "/sys/class/net (bonding)"
PREFIX: Final = "/sys/class/net/"
MII_STATES: Final = ("up", "down", "going down", "going back")


@dataclass(frozen=True, slots=True)
class Bonding:
    """Parsed bonding state: each master's slaves (in the kernel's order) and the MII
    status of every bonding slave."""

    masters: Mapping[str, tuple[str, ...]]
    mii_status: Mapping[str, str]

    def active(self, master: str) -> int:
        return sum(self.mii_status.get(s) == "up" for s in self.masters[master])


def parse(text: str) -> Bonding:
    masters: dict[str, tuple[str, ...]] = {}
    mii: dict[str, str] = {}
    for path, body in tail_files(text):
        iface, _, rest = path.removeprefix(PREFIX).partition("/")
        value = body.strip()
        if rest == "bonding/slaves":
            masters[iface] = tuple(value.split())
        elif rest == "bonding_slave/mii_status":
            if not value:
                continue  # unreadable: not known
            if value not in MII_STATES:
                raise ParseError(SOURCE, "unknown mii_status", f"{path}: {value}")
            mii[iface] = value
        else:
            raise ParseError(SOURCE, "not a bonding file", path)
    return Bonding(masters, mii)
