"""systemd: failed units, count and names (`systemctl list-units --state=failed`, slow round).

node_exporter's systemd collector is off by default and talks D-Bus; sshmon runs the
command any user may run. `[ -d /run/systemd/system ]` is sd_booted(3)'s own test: on a
host where systemd is not PID 1 (containers, Alpine, this CI VM) systemctl would only say
"System has not been booted with systemd" and fail, so the section is unavailable there,
never "0 failed". With systemd, no output is a real zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import cmd_systemctl_failed
from parsers.cmd_systemctl_failed import FailedUnits
from parsers.exposition import Sample, node_sample
from poller.collectors.base import Collector, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

COMMAND: Final = (
    "[ -d /run/systemd/system ] && "
    "$_sm_t systemctl list-units --state=failed --no-legend --plain --no-pager"
)
FAILED: Final = Source(
    "systemd_failed",
    cmd_systemctl_failed.parse,
    command=COMMAND,
    slow=True,
    optional=True,
    # every 2nd slow round (4 min at 10 s x 12): a failed unit is worth an alert soon, but
    # systemctl (with `timeout`, and a D-Bus round trip) is among the dearest processes
    # of the slow round where systemd runs
    every=2,
)
_UNITS_HELP: Final = "Summary of systemd unit states"
_UNIT_HELP: Final = "Systemd unit"
METRICS: Final = (
    MetricSpec(
        "systemd_units_failed",
        "count",
        G,
        None,
        "systemd units in the failed state (systemctl list-units --state=failed)",
        EXACT,
        slow=True,
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    failed = reading(r, "systemd_failed", FailedUnits)
    if failed is not None:
        out.append(("systemd_units_failed", "", failed.count))


def samples(r: Readings) -> Iterator[Sample]:
    # node_exporter's names; only the failed state, and only the first names (the parser
    # caps them): node_systemd_unit_state is 1 per failed unit shown. Its `type` is the
    # Service.Type/Mount.Type D-Bus property (simple, forking…), which systemctl's list
    # does not print: empty, as node_exporter leaves it when it cannot get it.
    failed = reading(r, "systemd_failed", FailedUnits)
    if failed is None:
        return
    yield node_sample("systemd_units", failed.count, "gauge", _UNITS_HELP, (("state", "failed"),))
    for name in failed.names:
        labels = (("name", name), ("state", "failed"), ("type", ""))
        yield node_sample("systemd_unit_state", 1, "gauge", _UNIT_HELP, labels)


COLLECTOR: Final = Collector(
    "systemd",
    "Failed systemd units (systemctl list-units --state=failed; slow round)",
    (FAILED,),
    METRICS,
    gauges,
    None,
    samples,
)
