"""Parse /proc/meminfo into bytes (kB fields) and plain counts (HugePages_*)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError
from parsers.numbers import SAFE_DIGITS, bounded_int

SOURCE: Final = "/proc/meminfo"
# meminfo's "kB" is KiB: fs/proc/meminfo.c prints pages << (PAGE_SHIFT - 10)
KIB: Final = 1024
# The fields derivation and host_info read every poll (poller/derive.py), kept parsed;
# the other ~50 stay text until `sizes_bytes`/`counts` are asked for (exposition).
HOT_KEYS: Final = (
    "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "Dirty", "SwapTotal",
    "SwapFree",
)  # fmt: skip
# What fs/proc/meminfo.c prints ("%s:%8lu kB\n", HugePages_* without the unit; some keys
# have no space after the colon). When the whole text has this shape, one regex pass
# (~4 us) proves every line valid; anything else takes the line-by-line parse. Numbers of
# up to SAFE_DIGITS digits are within parsers.numbers' bound; longer ones take the slow
# parse, which checks each. Possessive quantifiers as in proc_vmstat (nothing given back
# can make such text match).
_KERNEL_SHAPE: Final = re.compile(
    rf"(?:[A-Za-z0-9_()]++: *+-?+[0-9]{{1,{SAFE_DIGITS}}}+(?: kB)?+\n)*+"
)


@dataclass(frozen=True, slots=True)
class Meminfo:
    """Parsed /proc/meminfo, keyed by the kernel's own field names.

    `sizes_bytes` holds every field printed with a kB unit, converted to bytes;
    `counts` holds fields without unit (HugePages_Total/Free/Rsvd/Surp are page counts).
    A field the kernel did not print is absent: MemAvailable appeared in 3.14, and
    psutil's tests show a kernel printing MemAvailable as -1, kept here as written.
    `text` was validated by `parse`; `hot` holds the HOT_KEYS printed with kB, in bytes.
    """

    text: str
    hot: Mapping[str, int]

    @property
    def sizes_bytes(self) -> Mapping[str, int]:
        """Every kB field in bytes (built on each call, so not on the per-poll path)."""
        return _fields(self.text)[0]

    @property
    def counts(self) -> Mapping[str, int]:
        return _fields(self.text)[1]

    def by_unit(self) -> tuple[Mapping[str, int], Mapping[str, int]]:
        """(sizes_bytes, counts) from one pass over the text."""
        return _fields(self.text)

    def for_rates(self) -> Meminfo:
        """This reading as a previous poll's: `hot` only, the text dropped (see Vmstat)."""
        return Meminfo("", self.hot)

    def get(self, key: str) -> int | None:
        """A kB field in bytes; None when the kernel did not print it with kB."""
        value = self.hot.get(key)
        if value is not None or key in HOT_KEYS:
            return value
        return self.sizes_bytes.get(key)

    @property
    def total_bytes(self) -> int | None:
        return self.hot.get("MemTotal")

    @property
    def available_bytes(self) -> int | None:
        return self.hot.get("MemAvailable")


def parse(text: str) -> Meminfo:
    if _KERNEL_SHAPE.fullmatch(text):
        return Meminfo(text, _hot(text))
    sized, _ = _fields(text)  # raises ParseError on a bad line
    return Meminfo(text, {key: sized[key] for key in HOT_KEYS if key in sized})


def _hot(text: str) -> dict[str, int]:
    """HOT_KEYS of kernel-shaped text printed with kB; the last line wins, as in `_fields`."""
    hot: dict[str, int] = {}
    for key in HOT_KEYS:
        at = text.rfind(f"\n{key}:") + 1
        if not at and not text.startswith(f"{key}:"):
            continue
        start = at + len(key) + 1
        value = text[start : text.index("\n", start)]
        if value.endswith(" kB"):
            hot[key] = int(value[:-3]) * KIB
        else:  # printed without unit last; an earlier line may have had one
            sized = _fields(text)[0]
            if key in sized:
                hot[key] = sized[key]
    return hot


def _fields(text: str) -> tuple[dict[str, int], dict[str, int]]:
    sized: dict[str, int] = {}
    counts: dict[str, int] = {}
    for line in text.split("\n"):
        # the kernel prints some keys with no space after ':' (ShadowCallStack:10373888 kB)
        key, colon, rest = line.partition(":")
        if not colon:
            if line.strip():
                raise ParseError(SOURCE, "no ':' in line", line)
            continue
        fields = rest.split()
        if not fields:
            raise ParseError(SOURCE, "value is not an integer", line)
        value = bounded_int(fields[0], SOURCE, line, "value is not an integer")
        key = key.strip()
        if len(fields) == 1:
            counts[key] = value
        elif len(fields) == 2 and fields[1] == "kB":
            sized[key] = value * KIB
        else:
            raise ParseError(SOURCE, "expected 'value' or 'value kB'", line)
    return sized, counts
