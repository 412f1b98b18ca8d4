"""Parse /proc/net/sockstat6: IPv6 sockets in use per protocol (TCP6, UDP6, RAW6, FRAG6…)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS
from parsers.proc_net_sockstat import protocol_lines

SOURCE: Final = "/proc/net/sockstat6"
# net/ipv6/proc.c sockstat6_seq_show: "PROTO: key N[ key N]\n" lines. Nothing is stored
# from this file, so a poll only checks that shape (one regex call, a fifth of building
# the dicts); `protocols` is built for the exposition. Other text takes the full parse,
# which raises on what it cannot read and bounds long numbers.
_KERNEL_SHAPE: Final = re.compile(rf"(?:[A-Z0-9]++:(?: [a-z_]++ [0-9]{{1,{SAFE_DIGITS}}}+)++\n)*+")


@dataclass(frozen=True, slots=True)
class Sockstat6:
    """Parsed /proc/net/sockstat6 (absent on kernels built without IPv6), text validated
    by `parse`.

    `protocols` maps TCP6/UDP6/UDPLITE6/RAW6/FRAG6 to the keys its line printed
    (inuse; FRAG6 also memory); the file has no `sockets: used` line.
    """

    text: str

    @property
    def protocols(self) -> Mapping[str, Mapping[str, int]]:
        return _protocols(self.text)


def parse(text: str) -> Sockstat6:
    if _KERNEL_SHAPE.fullmatch(text) is None:
        _protocols(text)  # raises, quoting the line, or bounds a long number
    return Sockstat6(text)


def _protocols(text: str) -> dict[str, dict[str, int]]:
    used, protocols = protocol_lines(text, SOURCE)
    if used is not None:
        raise ParseError(SOURCE, "unexpected 'sockets:' line (that is /proc/net/sockstat)")
    return protocols
