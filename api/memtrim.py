"""Give the heap a burst of allocations freed back to the kernel (glibc's `malloc_trim`).

Rendering /metrics allocates some 90 MB at 1,000 hosts (api/metrics.py) and frees it by
its end, and glibc keeps what was freed inside its arenas unless it lies at the top of
one. Trimming after a render gives back 7.5 MiB at 1,000 hosts for 0.8 ms of CPU
(bench/metrics_render.py --release; bench/README.md, issue 15, h-c15f); the route does it
once the rendered body expires, when the response's copies are freed too (trimmed in the
rendering thread, another 12 KB a host was still there to give back 7 s later). It does
not stop the heap fragmenting between scrapes: 30-50 s later glibc holds 14-29 KB a host
freed again, most of it in holes `malloc_trim` cannot return (bench/owner_memory.py).
musl and other C libraries have no `malloc_trim`: then nothing is done.
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
    Costs a walk of the arenas' free chunks (0.8 ms after a render at 1,000 hosts: run
    it off the event loop). False without glibc."""
    if _TRIM is None:
        return False
    return bool(_TRIM(0))
