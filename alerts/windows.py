"""Per-series memory for rules that look at more than the last value.

Kept small on purpose: the engine holds one of these per (rule, host, device) for thousands
of hosts, so the average keeps a running sum and the trend keeps at most TREND_POINTS samples
(downsampled to one per window/TREND_POINTS) however fast the host is polled.
"""

from __future__ import annotations

import math
from collections import deque
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
        self._values: deque[tuple[float, float]] = deque()
        self._sum = 0.0
        self._first: float | None = None

    def add(self, ts: float, value: float) -> float:
        if math.isnan(value):
            return self.mean()
        if self._first is None:
            self._first = ts
        self._values.append((ts, value))
        self._sum += value
        while self._values and ts - self._values[0][0] > self.window:
            self._sum -= self._values.popleft()[1]
        return self.mean()

    def mean(self) -> float:
        if not self._values or self._first is None:
            return math.nan
        if self._values[-1][0] - self._first < self.window * MIN_AVG_SPAN:
            return math.nan
        return self._sum / len(self._values)


class Trend:
    """Hours until a decreasing series reaches zero, from a least-squares line over `window`.

    `inf` when the series is flat or growing; NaN until there is enough history to say.
    """

    __slots__ = ("_values", "step", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.step = window / TREND_POINTS
        self._values: deque[tuple[float, float]] = deque(maxlen=TREND_POINTS + 1)

    def add(self, ts: float, value: float) -> float:
        if math.isnan(value):
            return self.hours_to_zero()
        if self._values and ts - self._values[-1][0] < self.step:
            # keep the newest value in the last slot so the estimate starts from "now"
            self._values[-1] = (self._values[-1][0], value)
        else:
            self._values.append((ts, value))
        while self._values and ts - self._values[0][0] > self.window:
            self._values.popleft()
        return self.hours_to_zero()

    def hours_to_zero(self) -> float:
        n = len(self._values)
        if (
            n < MIN_TREND_POINTS
            or self._values[-1][0] - self._values[0][0] < self.window * MIN_TREND_SPAN
        ):
            return math.nan
        t0 = self._values[0][0]
        mean_t = sum(t - t0 for t, _ in self._values) / n
        mean_v = sum(v for _, v in self._values) / n
        cov = sum((t - t0 - mean_t) * (v - mean_v) for t, v in self._values)
        var = sum((t - t0 - mean_t) ** 2 for t, _ in self._values)
        slope = cov / var if var else 0.0
        if slope >= 0:
            return math.inf
        last = self._values[-1][1]
        return max(0.0, last / -slope / 3600.0)
