"""Parse /proc/net/sockstat6: IPv6 sockets in use per protocol (TCP6, UDP6, RAW6, FRAG6…)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.proc_net_sockstat import protocol_lines

SOURCE: Final = "/proc/net/sockstat6"


@dataclass(frozen=True, slots=True)
class Sockstat6:
    """Parsed /proc/net/sockstat6 (absent on kernels built without IPv6).

    `protocols` maps TCP6/UDP6/UDPLITE6/RAW6/FRAG6 to the keys its line printed
    (inuse; FRAG6 also memory); the file has no `sockets: used` line.
    """

    protocols: Mapping[str, Mapping[str, int]]


def parse(text: str) -> Sockstat6:
    used, protocols = protocol_lines(text, SOURCE)
    if used is not None:
        raise ParseError(SOURCE, "unexpected 'sockets:' line (that is /proc/net/sockstat)")
    return Sockstat6(protocols)
