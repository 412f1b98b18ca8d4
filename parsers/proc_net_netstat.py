"""Parse /proc/net/netstat: extended TCP/IP counters (TcpExt, IpExt, MPTcpExt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Final

from parsers.proc_net_snmp import ProtocolCounters, hot_fields

SOURCE: Final = "/proc/net/netstat"
# The counters derivation reads every poll (poller/derive.py), kept parsed; the other
# ~200 stay text until `protocols` is asked for (node_exporter exposition, tests).
HOT_FIELDS: Final = {"TcpExt": ("ListenDrops",)}


@dataclass(frozen=True, slots=True)
class NetNetstat(ProtocolCounters):
    """Parsed /proc/net/netstat: protocol -> field -> value (TcpExt -> ListenDrops -> 0).

    Same `Proto: names` / `Proto: values` layout as /proc/net/snmp.
    """

    SOURCE: ClassVar[str] = SOURCE
    HOT_FIELDS: ClassVar[Mapping[str, tuple[str, ...]]] = HOT_FIELDS


def parse(text: str) -> NetNetstat:
    return NetNetstat(text, hot_fields(text, SOURCE, HOT_FIELDS))
