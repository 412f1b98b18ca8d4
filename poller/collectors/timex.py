"""timex: clock synchronisation and offset, where the host tells without privileges (slow
round): busybox adjtimex (the kernel's own NTP state, as node_exporter's timex reads it),
else chronyc, else timedatectl (parsers/cmd_timex.py). A host with none of them, or whose
daemon does not answer (chronyc: "506 Cannot talk to daemon", exit 1; timedatectl without
systemd as PID 1), prints nothing and fails: unavailable, never "not synchronised".

chronyc and timedatectl run under the probe's `timeout` (`$_sm_t`): chronyc retries for
seconds on a lost reply and timedatectl waits on D-Bus. Measured cost of the section on
this VM (busybox answering): 1.0 ms of target CPU over an empty `sh -c`, once per slow round.

/metrics gets node_exporter's timex names for what the tool printed. busybox adjtimex
prints the kernel's struct timex (the same adjtimex(2) call node_exporter makes), so with it
also node_timex_frequency_adjustment_ratio, _loop_time_constant, _status and _tick_seconds,
converted as node_exporter converts them. busybox does not print `tai` nor the PPS fields,
so node_timex_tai_offset_seconds and node_timex_pps_* are absent, never 0 (node_exporter
prints them as 0 on a host without a PPS source). chronyc and timedatectl do not give the
kernel's fields at all: only sync status (and chronyc's offset).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import cmd_timex
from parsers.cmd_timex import Timex
from parsers.exposition import Sample, node_sample
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec


def _try(tool: str, command: str) -> str:
    # the tool's output is kept only when it succeeded and printed something
    return (
        f'{{ _sm_x=$({command} 2>/dev/null) && [ -n "$_sm_x" ] && '
        f"printf '{tool}\\n%s\\n' \"$_sm_x\"; }}"
    )


COMMAND: Final = " || ".join(
    (
        # one syscall, cannot hang: `timeout` would cost more (0.6 ms) than the tool
        _try("adjtimex", "busybox adjtimex"),
        _try("chronyc", "$_sm_t chronyc -c -n tracking"),
        _try("timedatectl", "$_sm_t timedatectl show -p NTPSynchronized --value"),
    )
)
TIMEX: Final = Source(
    "timex",
    cmd_timex.parse,
    command=COMMAND,
    slow=True,
    optional=True,
    # every 5th slow round (10 min at 10 s x 12): a clock that loses its sync drifts by
    # milliseconds an hour, so knowing within 10 minutes costs nothing; a process (two
    # where chronyc or timedatectl answer) every 2 min did
    every=5,
)

_SYNC_HELP: Final = "Is clock synchronized to a reliable server (1 = yes, 0 = no)."
_OFFSET_HELP: Final = "Time offset in between local system and reference clock."
_MAXERR_HELP: Final = "Maximum error in seconds."
_ESTERR_HELP: Final = "Estimated error in seconds."
_FREQ_HELP: Final = "Local clock frequency adjustment."
_STATUS_HELP: Final = "Value of the status array bits."
_CONSTANT_HELP: Final = "Phase-locked loop time constant."
_TICK_HELP: Final = "Seconds between clock ticks."
METRICS: Final = (
    MetricSpec(
        "timex_sync_status",
        "count",
        G,
        None,
        "1 if the clock is synchronised, 0 if not (adjtimex, chronyc or timedatectl)",
        EXACT,
        slow=True,
    ),
    MetricSpec(
        "timex_offset_seconds",
        "seconds",
        G,
        None,
        "Pending clock correction; + means behind the reference (adjtimex or chronyc)",
        EXACT,
        slow=True,
    ),
    MetricSpec(
        "timex_maxerror_seconds",
        "seconds",
        G,
        None,
        "Kernel's maximum clock error bound (adjtimex only)",
        EXACT,
        slow=True,
    ),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    t = reading(r, "timex", Timex)
    if t is None:
        return
    if t.synchronised is not None:
        out.append(("timex_sync_status", "", 1.0 if t.synchronised else 0.0))
    if t.offset_seconds is not None:
        out.append(("timex_offset_seconds", "", t.offset_seconds))
    if t.maxerror_seconds is not None:
        out.append(("timex_maxerror_seconds", "", t.maxerror_seconds))


def samples(r: Readings) -> Iterator[Sample]:
    t = reading(r, "timex", Timex)
    if t is None:
        return
    if t.synchronised is not None:
        yield node_sample("timex_sync_status", 1 if t.synchronised else 0, "gauge", _SYNC_HELP)
    if t.offset_seconds is not None:
        yield node_sample("timex_offset_seconds", t.offset_seconds, "gauge", _OFFSET_HELP)
    if t.maxerror_seconds is not None:
        yield node_sample("timex_maxerror_seconds", t.maxerror_seconds, "gauge", _MAXERR_HELP)
    if t.esterror_seconds is not None:
        yield node_sample(
            "timex_estimated_error_seconds", t.esterror_seconds, "gauge", _ESTERR_HELP
        )
    # the kernel's other struct timex fields, where the tool printed them (adjtimex)
    for name, value, help_ in (
        ("timex_frequency_adjustment_ratio", t.frequency_adjustment_ratio, _FREQ_HELP),
        ("timex_status", t.status, _STATUS_HELP),
        ("timex_loop_time_constant", t.loop_time_constant, _CONSTANT_HELP),
        ("timex_tick_seconds", t.tick_seconds, _TICK_HELP),
    ):
        if value is not None:
            yield node_sample(name, value, "gauge", help_)


COLLECTOR: Final = Collector(
    "timex",
    "Clock synchronisation and offset (busybox adjtimex, chronyc or timedatectl; slow round)",
    (TIMEX,),
    METRICS,
    gauges,
    None,
    samples,
    (
        NodeName("timex_sync_status", "node_timex_sync_status", _SYNC_HELP),
        NodeName("timex_offset_seconds", "node_timex_offset_seconds", _OFFSET_HELP),
        NodeName("timex_maxerror_seconds", "node_timex_maxerror_seconds", _MAXERR_HELP),
    ),
)
