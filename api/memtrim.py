"""Give the heap a burst of allocations freed back to the kernel (glibc's `malloc_trim`).

Rendering /metrics allocates some 90 MB at 1,000 hosts (api/metrics.py) and frees it by
the end; glibc keeps most of the freed pages of its arenas, so one scrape left `sshmon
run` ~34 KB a host bigger than before it, freed but held, ~20 KB of which `malloc_trim(0)`
returns (bench/owner_memory.py; bench/README.md, issue 15). Prometheus scrapes every
15 to 60 s: the held pages are the steady state of a scraped process unless handed back
after each render. musl and other C libraries have no `malloc_trim`: then nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _find() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM = _find()


def release() -> bool:
    """Return freed heap memory of every malloc arena to the kernel; True when some was.
    Costs a walk of the arenas' free chunks (milliseconds at 1,000 hosts: run it off the
    event loop). False without glibc."""
    if _TRIM is None:
        return False
    return bool(_TRIM(0))
