"""Parse the clock-sync section: the first tool that answered, named on the first line.

The probe tries, without privileges (poller/collectors/timex.py):

- `adjtimex`: `busybox adjtimex` with no option only reads the kernel's NTP state
  (adjtimex(2) with modes 0), the very call node_exporter's timex collector makes;
- `chronyc`: `chronyc -c -n tracking`, chronyd's view (RHEL's default) over 127.0.0.1:323;
- `timedatectl`: `timedatectl show -p NTPSynchronized --value`, `yes` or `no` (systemd's
  timedated asks the kernel's STA_UNSYNC flag): synchronisation only, no offset.

Only what the tool says is filled in; the rest stays None. busybox adjtimex prints the
struct timex fields offset, freq, maxerror, esterror, status, constant, precision,
tolerance and tick (busybox miscutils/adjtimex.c), not tai nor the PPS fields (ppsfreq,
jitter, shift, stabil, jitcnt, calcnt, errcnt, stbcnt), so those stay unread. chronyc's
"Frequency" is chronyd's estimate of the clock's own drift, not the kernel's freq field
(chronyd may correct with tick as well), so it is not taken for the kernel's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import bounded_float, bounded_int

SOURCE: Final = "timex"

US: Final = 1e-6  # adjtimex reports maxerror/esterror in µs, offset in µs…
NS: Final = 1e-9  # …or in ns when STA_NANO is set (include/uapi/linux/timex.h)
STA_NANO: Final = 0x2000
US_PER_S: Final = 1e6
# adjtimex(2) NOTES: freq is in ppm with a 16-bit fraction ("65536 = 1ppm" in busybox's
# output); node_exporter exports it as the ratio 1 + freq / 2^16 / 1e6
PPM16FRAC: Final = 1e6 * 65536
TIME_ERROR: Final = 5  # adjtimex(2) return value: clock not synchronised
# chronyc -c tracking columns (chrony doc/chronyc.adoc, "tracking"); 14 in chrony 3 and 4
_CHRONY_FIELDS: Final = 14
_CHRONY_CORRECTION: Final = 4  # "System time": + means the clock is slow, as ntp's offset
_CHRONY_LEAP: Final = 13


@dataclass(frozen=True, slots=True)
class Timex:
    """Clock synchronisation as one tool on the host reported it (`tool`)."""

    tool: str
    synchronised: bool | None = None
    offset_seconds: float | None = None
    maxerror_seconds: float | None = None
    esterror_seconds: float | None = None
    # the kernel's other struct timex fields, as node_exporter's timex collector names them
    frequency_adjustment_ratio: float | None = None
    status: int | None = None
    loop_time_constant: int | None = None
    tick_seconds: float | None = None


def parse(text: str) -> Timex:
    tool, _, body = text.lstrip("\n").partition("\n")
    tool = tool.strip()
    if tool == "adjtimex":
        return _adjtimex(body)
    if tool == "chronyc":
        return _chronyc(body)
    if tool == "timedatectl":
        return _timedatectl(body)
    raise ParseError(SOURCE, "unknown tool", tool)


def _adjtimex(body: str) -> Timex:
    # "-o  offset:       0 us", "    status:       64 (UNSYNC)", "    return value: 5 (…)"
    fields: dict[str, tuple[str, str]] = {}
    for line in body.split("\n"):
        key, sep, rest = line.partition(":")
        if sep:
            value = rest.split()
            if value:
                key = key.strip()
                if key.startswith("-"):  # "-o  offset": the option that would set it
                    key = key[2:].strip()
                fields[key] = (value[0], line)

    def number(key: str) -> int | None:
        found = fields.get(key)
        return None if found is None else bounded_int(found[0], SOURCE, found[1])

    status, ret = number("status"), number("return value")
    if status is None and ret is None:
        raise ParseError(SOURCE, "adjtimex printed neither status nor return value", body[:200])
    offset, maxerror, esterror = number("offset"), number("maxerror"), number("esterror")
    freq, tick = number("freq.adjust"), number("tick")
    offset_unit = NS if status is not None and status & STA_NANO else US
    return Timex(
        "adjtimex",
        synchronised=None if ret is None else ret != TIME_ERROR,
        offset_seconds=None if offset is None else offset * offset_unit,
        maxerror_seconds=None if maxerror is None else maxerror * US,
        esterror_seconds=None if esterror is None else esterror * US,
        frequency_adjustment_ratio=None if freq is None else 1 + freq / PPM16FRAC,
        status=status,
        loop_time_constant=number("timeconstant"),
        # always µs (struct timex); divided as node_exporter divides, for the same float
        tick_seconds=None if tick is None else tick / US_PER_S,
    )


def _chronyc(body: str) -> Timex:
    line = body.split("\n")[0]
    cols = line.split(",")
    if len(cols) < _CHRONY_FIELDS:
        raise ParseError(SOURCE, f"expected {_CHRONY_FIELDS} CSV fields from chronyc", line)
    leap = cols[_CHRONY_LEAP].strip()
    offset = bounded_float(cols[_CHRONY_CORRECTION], SOURCE, line)
    return Timex("chronyc", synchronised=leap != "Not synchronised", offset_seconds=offset)


def _timedatectl(body: str) -> Timex:
    value = body.strip()
    if value not in ("yes", "no"):
        raise ParseError(SOURCE, "expected yes or no from timedatectl", value[:200])
    return Timex("timedatectl", synchronised=value == "yes")
