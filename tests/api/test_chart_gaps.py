"""How the host page's chart data marks gaps: outages break the line, a slow cadence does not."""

from __future__ import annotations

from api.views import _align
from store.rows import Series, SeriesPoint

T0 = 1_800_000_000.0


def _series(metric: str, stamps: list[float], step: int = 10) -> Series:
    return Series("h", metric, "/", "raw", step, [SeriesPoint(t, 1.0, 1.0, 1.0) for t in stamps])


def test_df_points_every_two_minutes_draw_as_one_line_in_10_s_buckets() -> None:
    stamps = [T0 + 120 * i for i in range(10)]
    axis, (values,) = _align([_series("fs_used_percent", stamps)])
    assert axis == stamps and None not in values


def test_an_outage_still_breaks_a_slow_series() -> None:
    stamps = [T0 + 120 * i for i in range(6)] + [T0 + 1800 + 120 * i for i in range(6)]
    axis, (values,) = _align([_series("fs_used_percent", stamps)])
    assert values.count(None) == 1 and len(axis) == len(stamps) + 1


def test_an_outage_breaks_a_poll_rate_series() -> None:
    stamps = [T0 + 10 * i for i in range(20)] + [T0 + 600 + 10 * i for i in range(20)]
    axis, (values,) = _align([_series("load1", stamps)])
    assert values.count(None) == 1 and axis[values.index(None)] == T0 + 200
