"""Per-series memory for rules that look at more than the last value.

Kept small on purpose: the engine holds one of these per (rule, host, device) for thousands
of hosts, so the average keeps a running sum and the trend keeps at most TREND_POINTS samples
(downsampled to one per window/TREND_POINTS) however fast the host is polled. Samples are
kept as flat arrays of doubles (time, value, time, value, …; the same numbers as the
floats they came from): 16 bytes a sample where a deque of (ts, value) tuples took ~100,
and a 5-minute average at 10 s polls holds 30 of them per series (issue 15).
"""

from __future__ import annotations

import math
from array import array
from typing import Final

TREND_POINTS: Final = 64
MIN_TREND_POINTS: Final = 4
MIN_TREND_SPAN: Final = 0.25  # of the window: a fit over a few minutes predicts nothing


MIN_AVG_SPAN: Final = 0.5  # of the window, before an average means anything


class Average:
    """Mean of the values seen in the last `window` seconds.

    NaN ("cannot say yet") until values have been arriving for half the window: the mean of
    one sample is that sample, and the first cpu sample after a start is the start itself
    (every start used to send cpu_busy pending, then cancelled, into the history)."""

    __slots__ = ("_first", "_sum", "_values", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self._values = array("d")  # time, value, … oldest first
        self._sum = 0.0
        self._first: float | None = None

    def add(self, ts: float, value: float) -> float:
        if math.isnan(value):
            return self.mean()
        if self._first is None:
            self._first = ts
        values = self._values
        values.append(ts)
        values.append(value)
        self._sum += value
        while values and ts - values[0] > self.window:
            self._sum -= values[1]
            del values[:2]
        return self.mean()

    def mean(self) -> float:
        if not self._values or self._first is None:
            return math.nan
        if self._values[-2] - self._first < self.window * MIN_AVG_SPAN:
            return math.nan
        return self._sum / (len(self._values) // 2)


class Trend:
    """Hours until a decreasing series reaches zero, from a least-squares line over `window`.

    `inf` when the series is flat or growing; NaN until there is enough history to say.
    """

    __slots__ = ("_values", "step", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.step = window / TREND_POINTS
        self._values = array("d")  # time, value, … oldest first; TREND_POINTS + 1 at most

    def add(self, ts: float, value: float) -> float:
        if math.isnan(value):
            return self.hours_to_zero()
        values = self._values
        if values and ts - values[-2] < self.step:
            # keep the newest value in the last slot so the estimate starts from "now"
            values[-1] = value
        else:
            values.append(ts)
            values.append(value)
            if len(values) > 2 * (TREND_POINTS + 1):
                del values[:2]
        while values and ts - values[0] > self.window:
            del values[:2]
        return self.hours_to_zero()

    def hours_to_zero(self) -> float:
        times, values = self._values[0::2], self._values[1::2]
        n = len(times)
        if n < MIN_TREND_POINTS or times[-1] - times[0] < self.window * MIN_TREND_SPAN:
            return math.nan
        t0 = times[0]
        mean_t = sum(t - t0 for t in times) / n
        mean_v = sum(values) / n
        cov = sum((t - t0 - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True))
        var = sum((t - t0 - mean_t) ** 2 for t in times)
        slope = cov / var if var else 0.0
        if slope >= 0:
            return math.inf
        last = values[-1]
        return max(0.0, last / -slope / 3600.0)
