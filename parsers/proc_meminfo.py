"""Parse /proc/meminfo into bytes (kB fields) and plain counts (HugePages_*)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "/proc/meminfo"
# meminfo's "kB" is KiB: fs/proc/meminfo.c prints pages << (PAGE_SHIFT - 10)
KIB: Final = 1024


@dataclass(frozen=True, slots=True)
class Meminfo:
    """Parsed /proc/meminfo, keyed by the kernel's own field names.

    `sizes_bytes` holds every field printed with a kB unit, converted to bytes;
    `counts` holds fields without unit (HugePages_Total/Free/Rsvd/Surp are page counts).
    A field the kernel did not print is absent: MemAvailable appeared in 3.14, and
    psutil's tests show a kernel printing MemAvailable as -1, kept here as written.
    """

    sizes_bytes: Mapping[str, int]
    counts: Mapping[str, int]

    def get(self, key: str) -> int | None:
        return self.sizes_bytes.get(key)

    @property
    def total_bytes(self) -> int | None:
        return self.sizes_bytes.get("MemTotal")

    @property
    def available_bytes(self) -> int | None:
        return self.sizes_bytes.get("MemAvailable")


def parse(text: str) -> Meminfo:
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
        try:
            value = int(fields[0])
        except (ValueError, IndexError) as exc:
            raise ParseError(SOURCE, "value is not an integer", line) from exc
        key = key.strip()
        if len(fields) == 1:
            counts[key] = value
        elif len(fields) == 2 and fields[1] == "kB":
            sized[key] = value * KIB
        else:
            raise ParseError(SOURCE, "expected 'value' or 'value kB'", line)
    return Meminfo(sized, counts)
