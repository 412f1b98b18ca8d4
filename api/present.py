"""Values as people and API clients read them: rounded to the metric's declared precision.

The catalog says how precisely each metric is measured (poller/precision.py); digits past
that are float noise (49.769999999999996 from a sum of rollups, or from a live point that
never went through the writer's rounding). Rounding happens here, at the edge, so what is
stored and computed keeps every bit.
"""

from __future__ import annotations

import math
from typing import Final, overload

from poller.catalog import METRICS

# Exact metrics (counts, load averages, bytes) still pick up noise once averaged: 15
# significant digits is every digit a double holds reliably, and none of the noise.
EXACT_DIGITS: Final = 15


@overload
def rounded(metric: str, value: float) -> float: ...
@overload
def rounded(metric: str, value: None) -> None: ...
def rounded(metric: str, value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return value
    rounder = _ROUNDERS.get(metric)
    if rounder is None:
        return float(format(value, _EXACT_SPEC))
    return rounder(value)


_EXACT_SPEC: Final = f".{EXACT_DIGITS}g"
# built once: the overview's live cells round every poll of every host (issue 15)
_ROUNDERS: Final = {
    name: r for name, spec in METRICS.items() if (r := spec.precision.rounder()) is not None
}
