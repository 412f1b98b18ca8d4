"""Parse the TCP connection count per state that the probe's awk prints (`STATE COUNT`).

The probe counts with `ss -tan | awk` where ss exists and with awk over /proc/net/tcp and
/proc/net/tcp6 where it does not (poller/collectors/tcpstat.py says why, with figures), so
a state comes either as ss's name (`ESTAB`, `TIME-WAIT`) or as the kernel's hex code from
the `st` column (`01`, `06`). Both are mapped to the names node_exporter's tcpstat uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_int

SOURCE: Final = "tcp_states"

# include/net/tcp_states.h order (TCP_ESTABLISHED = 1 … TCP_CLOSING = 11); the names are
# node_exporter's (collector/tcpstat_linux.go)
STATES: Final = (
    "established",
    "syn_sent",
    "syn_recv",
    "fin_wait1",
    "fin_wait2",
    "time_wait",
    "close",
    "close_wait",
    "last_ack",
    "listen",
    "closing",
)
# iproute2 ss.c sstate_name[]: a socket in TCP_CLOSE prints as UNCONN
_SS_NAMES: Final = (
    "ESTAB",
    "SYN-SENT",
    "SYN-RECV",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "TIME-WAIT",
    "UNCONN",
    "CLOSE-WAIT",
    "LAST-ACK",
    "LISTEN",
    "CLOSING",
)
_TOKENS: Final = MappingProxyType(
    {
        **dict(zip(_SS_NAMES, STATES, strict=True)),
        **{f"{i:02X}": state for i, state in enumerate(STATES, start=1)},
        # /proc/net/tcp lists a half-open request (TCP_NEW_SYN_RECV, 12, since 4.4) as
        # SYN_RECV already; the code is mapped in case a kernel prints it raw
        "0C": "syn_recv",
        "NEW-SYN-RECV": "syn_recv",
    }
)


@dataclass(frozen=True, slots=True)
class TcpStates:
    """TCP sockets per state, IPv4 and IPv6 together (`ss -tan`, or /proc/net/tcp{,6}).

    Every state of STATES is present: a count covers all sockets, so a state not printed
    has none. `unknown` counts lines of a state this version does not know (a newer ss).
    """

    counts: Mapping[str, int]
    unknown: int = 0


def parse(text: str) -> TcpStates:
    counts = dict.fromkeys(STATES, 0)
    unknown = 0
    for line in text.split("\n"):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise ParseError(SOURCE, "expected 'STATE COUNT'", line)
        n = bounded_int(fields[1], SOURCE, line, "count is not an integer")
        if n < 0:
            raise ParseError(SOURCE, "negative count", line)
        state = _TOKENS.get(fields[0].upper())
        if state is None:
            unknown += n
        else:
            counts[state] += n
    return TcpStates(MappingProxyType(counts), unknown)
