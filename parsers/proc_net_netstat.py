"""Parse /proc/net/netstat: extended TCP/IP counters (TcpExt, IpExt, MPTcpExt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.proc_net_snmp import Hot, hot_fields, lookup, parse_pairs

SOURCE: Final = "/proc/net/netstat"
# The counters derivation reads every poll (poller/derive.py), kept parsed; the other
# ~200 stay text until `protocols` is asked for (node_exporter exposition, tests).
HOT_FIELDS: Final = {"TcpExt": ("ListenDrops",)}


@dataclass(frozen=True, slots=True)
class NetNetstat:
    """Parsed /proc/net/netstat: protocol -> field -> value (TcpExt -> ListenDrops -> 0).

    Same `Proto: names` / `Proto: values` layout as /proc/net/snmp. `text` was validated
    by `parse`; `hot` holds the HOT_FIELDS the text has.
    """

    text: str
    hot: Hot

    @property
    def protocols(self) -> Mapping[str, Mapping[str, int]]:
        """Every counter (built on each call, so not on the per-poll path)."""
        return parse_pairs(self.text, SOURCE)

    def get(self, protocol: str, field: str) -> int | None:
        fields = self.hot.get(protocol)
        if fields is not None and field in fields:
            return fields[field]  # derive's path: two dict lookups
        return lookup(self.text, self.hot, HOT_FIELDS, SOURCE, protocol, field)


def parse(text: str) -> NetNetstat:
    return NetNetstat(text, hot_fields(text, SOURCE, HOT_FIELDS))
