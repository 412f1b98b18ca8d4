"""api.memtrim: freed heap handed back to the kernel after a /metrics render."""

from __future__ import annotations

import ctypes
import os
import platform

import pytest

from api import memtrim

MiB = 1 << 20


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_heap_in_the_middle_of_an_arena_goes_back_to_the_kernel() -> None:
    """What a render leaves: many mid-sized blocks freed below one that stays. glibc's
    free() gives back only the top of the heap; release() returns the rest."""
    blocks = [ctypes.create_string_buffer(64 * 1024) for _ in range(1024)]  # 64 MiB, touched
    for b in blocks:
        ctypes.memset(b, 1, len(b))
    pin = ctypes.create_string_buffer(64 * 1024)  # above them: the heap's top stays in use
    del blocks
    held = _rss()
    assert memtrim.release() is True
    assert held - _rss() > 32 * MiB
    del pin
