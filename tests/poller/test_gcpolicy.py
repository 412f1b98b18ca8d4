"""The GC policy freezes once hosts have connected, refreshes, and unfreezes on stop."""

from __future__ import annotations

import asyncio
import gc
import weakref

from fake_clock import FakeClock

from poller.gcpolicy import MIDDLE_THRESHOLD, YOUNG_THRESHOLD, manage_gc


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only a full collection frees it


async def test_freeze_after_settling_refresh_and_unfreeze_on_cancel() -> None:
    clock = FakeClock()
    thresholds = gc.get_threshold()
    task = asyncio.create_task(manage_gc(clock, settle_s=20, refreeze_every_s=100))
    node = Node()  # like a connection open when the freeze happens
    try:
        await clock.advance(19)
        assert gc.get_freeze_count() == 0  # hosts are still connecting
        # young passes rarer from the start; full ones still automatic while connecting
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *thresholds[1:])
        await clock.advance(1)
        assert gc.get_freeze_count() > 0
        # generation-1 passes rarer too once frozen: what survives a young pass mostly
        # lives one poll interval, and a pass every 10 young ones walked it all again
        assert gc.get_threshold()[:2] == (YOUNG_THRESHOLD, MIDDLE_THRESHOLD)
        assert gc.get_threshold()[2] > 1_000_000  # no automatic full passes
        gone = weakref.ref(node)
        del node  # the connection closes: its cycle is frozen garbage now
        gc.collect()
        assert gone() is not None  # frozen objects are out of reach of collections...
        await clock.advance(100)
        assert gone() is None  # ...until the periodic refresh reclaims them
        assert gc.get_freeze_count() > 0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
