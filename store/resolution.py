"""Which stored tier answers a chart, and with which bucket width (no SQL here)."""

from __future__ import annotations

import math

from store.rows import Resolution

# Bucket widths a chart may use; every one from 300 s up divides evenly into the rollups.
# Below 10 s only for hosts polled that often (`min_step`): finer buckets than the poll
# interval would only repeat points.
DEFAULT_MIN_STEP_S = 10  # the usual fastest poll interval; callers that know better say so
_NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
               86400)


def choose_resolution(start: float, end: float, max_points: int,
                      day_tier: bool = False, min_step: int = DEFAULT_MIN_STEP_S,
                      ) -> tuple[Resolution, int]:
    """(tier, bucket width in seconds) so that [start, end) yields at most max_points, and
    buckets no narrower than `min_step` (the series' poll interval)."""
    span = max(1.0, end - start)
    # -1: an unaligned start adds a partial bucket
    wanted = max(span / max(1, max_points - 1), min_step)
    step = next((s for s in _NICE_STEPS if s >= wanted), 0)
    if step == 0:
        step = 86400 * math.ceil(wanted / 86400)
    if step % 86400 == 0 and day_tier:
        return "1d", step
    if step % 3600 == 0:
        return "1h", step
    if step % 300 == 0:
        return "5m", step
    return "raw", step
