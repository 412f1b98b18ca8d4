"""time: the kernel's clock sources, node_exporter's `time` collector on Linux
(node_time_clocksource_available_info, node_time_clocksource_current_info).

Read from /sys/devices/system/clocksource/clocksource*/ in the slow round, every 5th one
(10 min at the default 10 s x 12): the list is fixed while the kernel runs and the
current source changes only when the kernel gives up on one (TSC found unstable, an
operator's echo into current_clocksource), rare events worth seeing within minutes rather
than the hour of FIXED_WHILE_UP. Both files join the slow `head` of that cadence
(poller/probe.py), shared with selinux: no process of their own. In between the poller
keeps the last reading, so /metrics goes on exporting it.

Not exported: node_time_seconds and node_time_zone_offset_seconds, the rest of
node_exporter's `time` collector. They are the target's wall clock and time zone at the
moment of the scrape, which only a process started on the target at every poll could
give (`date`, ~0.5 ms of target CPU per poll; bench/README.md, "Target cost"), and the
value would be stale by the SSH round trip anyway; timex's offset says what matters about
the target's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_devices_clocksource
from parsers.exposition import Sample, node_sample
from parsers.sys_devices_clocksource import ClockSources
from poller.collectors.base import RARE_FILES_EVERY, Collector, Readings, Source, reading

_DIR: Final = "/sys/devices/system/clocksource/clocksource*"
CLOCKSOURCE: Final = Source(
    "clocksource",
    sys_devices_clocksource.parse,
    globs=(f"{_DIR}/available_clocksource", f"{_DIR}/current_clocksource"),
    slow=True,
    optional=True,  # a container's /sys may not show it
    every=RARE_FILES_EVERY,
)
_AVAILABLE_HELP: Final = "Available clocksources read from '/sys/devices/system/clocksource'."
_CURRENT_HELP: Final = "Current clocksource read from '/sys/devices/system/clocksource'."


def samples(r: Readings) -> Iterator[Sample]:
    cs = reading(r, "clocksource", ClockSources)
    if cs is None:
        return
    # node_exporter's `device` is the directory's position in sorted order, as text
    for i, source in enumerate(cs.devices.values()):
        device = ("device", str(i))
        for name in source.available:
            labels = (("clocksource", name), device)
            yield node_sample(
                "time_clocksource_available_info", 1, "gauge", _AVAILABLE_HELP, labels
            )
        if source.current is not None:
            labels = (("clocksource", source.current), device)
            yield node_sample("time_clocksource_current_info", 1, "gauge", _CURRENT_HELP, labels)


COLLECTOR: Final = Collector(
    "time",
    "Clock sources, available and current (/sys/devices/system/clocksource; slow round)",
    (CLOCKSOURCE,),
    samples=samples,
)
