"""netstat6: IPv6 counters (/proc/net/snmp6), exported as node_exporter's netstat does.

Exposition only: nothing is stored. The IPv4 counters that matter for alerts
(retransmits, listen drops, UDP receive-buffer drops) are stored by `netstat`; the IPv6
ones stay on /metrics for dashboards that split traffic by family. Optional: a kernel
booted with ipv6.disable=1 has no /proc/net/snmp6, and that is "unavailable".

Read in the slow round: the file is 3.7 kB of text (about 90 counters), three quarters of
what the other issue-12 files add to every poll together, and with nothing derived from
it every poll would pay SSH, framing and parsing for values only /metrics shows. So
/metrics refreshes these counters once per slow round (every `slow_every` polls, 2 min at
the defaults); rate() over a few minutes still reads them right.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_net_snmp6
from parsers.exposition import METRIC_NAME, Sample, node_sample
from parsers.exposition_filters import NETSTAT_FIELDS
from parsers.proc_net_snmp6 import NetSnmp6
from poller.collectors.base import Collector, Readings, Source, reading

SNMP6: Final = Source(
    "net_snmp6", proc_net_snmp6.parse, path="/proc/net/snmp6", slow=True, optional=True
)


def samples(r: Readings) -> Iterator[Sample]:
    snmp6 = reading(r, "net_snmp6", NetSnmp6)
    if snmp6 is None:
        return
    for proto, fields in snmp6.protocols.items():
        for field, value in fields.items():
            key = f"{proto}_{field}"
            # node_exporter's default --collector.netstat.fields, the same as for snmp
            if NETSTAT_FIELDS.match(key) and METRIC_NAME.fullmatch(key):
                yield node_sample(f"netstat_{key}", value, "untyped", f"Statistic {proto}{field}.")


COLLECTOR: Final = Collector(
    "netstat6",
    "IPv6 counters (/proc/net/snmp6; slow round), on /metrics only",
    (SNMP6,),
    samples=samples,
)
