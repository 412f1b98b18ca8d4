"""bonding: slaves and active slaves per bonding master (/sys/class/net/*/bonding/slaves,
/sys/class/net/*/bonding_slave/mii_status). A master with fewer active slaves than
slaves has lost a link, and its redundancy with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_class_net_bonding
from parsers.exposition import Sample, node_sample
from parsers.sys_class_net_bonding import Bonding
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

BONDING: Final = Source(
    "bonding",
    sys_class_net_bonding.parse,
    globs=("/sys/class/net/*/bonding/slaves", "/sys/class/net/*/bonding_slave/mii_status"),
    optional=True,  # no bonding driver loaded: nothing matches
)
_IF: Final = "interface"
METRICS: Final = (
    MetricSpec("bond_slaves", "count", G, _IF, "Slaves of the bonding master", EXACT),
    MetricSpec("bond_slaves_active", "count", G, _IF, "Slaves whose MII status is up", EXACT),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    bond = reading(r, "bonding", Bonding)
    if bond is None:
        return
    for master, slaves in bond.masters.items():
        out.append(("bond_slaves", master, len(slaves)))
        out.append(("bond_slaves_active", master, bond.active(master)))


def samples(r: Readings) -> Iterator[Sample]:
    bond = reading(r, "bonding", Bonding)
    if bond is None:
        return
    for master, slaves in bond.masters.items():
        labels = (("master", master),)
        yield node_sample("bonding_slaves", len(slaves), "gauge", _HELP_SLAVES, labels)
        yield node_sample("bonding_active", bond.active(master), "gauge", _HELP_ACTIVE, labels)


_HELP_SLAVES: Final = "Number of configured slaves per bonding interface."
_HELP_ACTIVE: Final = "Number of active slaves per bonding interface."

COLLECTOR: Final = Collector(
    "bonding",
    "Bonding masters: slaves and active slaves (/sys/class/net/*/bonding)",
    (BONDING,),
    METRICS,
    gauges,
    None,
    samples,
)
