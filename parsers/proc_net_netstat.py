"""Parse /proc/net/netstat: extended TCP/IP counters (TcpExt, IpExt, MPTcpExt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.proc_net_snmp import parse_pairs

SOURCE: Final = "/proc/net/netstat"


@dataclass(frozen=True, slots=True)
class NetNetstat:
    """Parsed /proc/net/netstat: protocol -> field -> value (TcpExt -> ListenDrops -> 0).

    Same `Proto: names` / `Proto: values` layout as /proc/net/snmp.
    """

    protocols: Mapping[str, Mapping[str, int]]


def parse(text: str) -> NetNetstat:
    return NetNetstat(parse_pairs(text, SOURCE))
