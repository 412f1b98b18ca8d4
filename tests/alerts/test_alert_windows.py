"""Averages, the fill-up prediction, and maintenance schedules, at chosen instants."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alerts_helpers import host, ok, pt
from pydantic import ValidationError

from alerts.config import load as load_alerts
from alerts.defaults import SHIPPED
from alerts.engine import AlertEngine
from alerts.silences import Schedule
from alerts.state import Change
from alerts.windows import Average, Trend
from poller.yamlfile import Document

GIB = 1024.0**3


def at(text: str, zone: str = "UTC") -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_average_forgets_values_older_than_its_window() -> None:
    avg = Average(60)
    assert math.isnan(avg.mean())
    for t, v in [(0, 100.0), (30, 0.0), (60, 50.0)]:
        avg.add(t, v)
    assert avg.mean() == 50.0
    assert avg.add(90, 10.0) == pytest.approx((0 + 50 + 10) / 3)


def test_an_average_says_nothing_until_values_cover_half_its_window() -> None:
    avg = Average(300)
    assert math.isnan(avg.add(0, 99.0))  # one sample at start-up is not "busy for 5 minutes"
    assert math.isnan(avg.add(140, 99.0))
    assert avg.add(150, 99.0) == 99.0


def test_a_start_up_cpu_spike_leaves_no_trace_in_the_history() -> None:
    doc = Document(Path("inventory.yaml"), {}, {})
    config = load_alerts(doc, data={"defaults": {"stale_data": False}})
    events = []
    engine = AlertEngine(config, [host("web-1")], store_events=events.append)
    engine.observe(ok("web-1", 0), [pt("web-1", "cpu_busy_percent", 100.0, 0)], 0)
    for t in range(10, 600, 10):
        engine.observe(ok("web-1", t), [pt("web-1", "cpu_busy_percent", 3.0, t)], t)
    assert events == []


def test_trend_predicts_hours_until_a_steadily_filling_disk_is_full() -> None:
    trend = Trend(6 * 3600)
    # 100 GiB free, losing 2 GiB an hour, sampled every minute for 6 hours
    hours = math.nan
    for minute in range(0, 361):
        hours = trend.add(minute * 60.0, 100 * GIB - 2 * GIB * minute / 60)
    assert hours == pytest.approx(88 / 2, rel=0.01)  # 88 GiB left at -2 GiB/h


def test_trend_says_never_for_a_flat_or_growing_series_and_nothing_too_early() -> None:
    trend = Trend(6 * 3600)
    assert math.isnan(trend.add(0, 10 * GIB))
    assert math.isnan(trend.add(600, 9 * GIB))  # 10 minutes is too short to tell
    flat = Trend(3600)
    for t in range(0, 3601, 60):
        result = flat.add(float(t), 5 * GIB + (t % 120))
    assert result == math.inf


def test_trend_memory_stays_bounded_however_often_it_is_fed() -> None:
    trend = Trend(3600)
    for t in range(0, 7200):
        trend.add(float(t), 1e9 - t)
    assert len(trend._values) <= 2 * 65  # (time, value) pairs


def test_fs_filling_fires_from_the_engine_with_hours_in_the_message() -> None:
    only_fs_filling = {d["name"]: False for d in SHIPPED if d["name"] != "fs_filling"}
    config = load_alerts(
        Document(Path("inventory.yaml"), {}, {}), data={"defaults": only_fs_filling}
    )
    assert [r.name for r in config.rules] == ["fs_filling"]
    engine = AlertEngine(config, [host("db-1")])
    fired = []
    for minute in range(0, 400):
        t = minute * 60.0
        free = 20 * GIB - 1 * GIB * minute / 60  # 1 GiB an hour from 20 GiB
        fired += engine.observe(ok("db-1", t), [pt("db-1", "fs_avail_bytes", free, t, "/")], t)
    assert [(c.rule, c.change) for c in fired][:2] == [
        ("fs_filling", Change.PENDING),
        ("fs_filling", Change.FIRING),
    ]
    assert fired[1].text.startswith("fs_filling on /: ")
    assert fired[1].text.endswith(" h < 24.0 h")


@pytest.mark.parametrize(
    ("when", "active"),
    [
        pytest.param("2026-03-02 01:59", False, id="before"),
        pytest.param("2026-03-02 02:00", True, id="start"),
        pytest.param("2026-03-02 02:59", True, id="inside"),
        pytest.param("2026-03-02 03:00", False, id="end-is-open"),
    ],
)
def test_daily_window(when: str, active: bool) -> None:
    nightly = Schedule(kind="daily", at="02:00", duration=3600)
    assert nightly.active(at(when)) is active


def test_a_window_that_crosses_midnight_counts_from_the_day_before() -> None:
    late = Schedule(kind="weekly", at="23:00", duration=3 * 3600, days=["sun"])
    assert late.active(at("2026-03-01 23:30"))  # Sunday
    assert late.active(at("2026-03-02 01:30"))  # Monday morning, Sunday's window
    assert not late.active(at("2026-03-03 01:30"))  # Tuesday: Monday has no window
    assert not late.active(at("2026-03-02 23:30"))


def test_recurring_windows_follow_their_time_zone_across_dst() -> None:
    berlin = Schedule(kind="daily", at="02:30", duration=1800, timezone="Europe/Berlin")
    assert berlin.active(at("2026-01-15 02:45", "Europe/Berlin"))
    assert berlin.active(at("2026-07-15 02:45", "Europe/Berlin"))
    assert not berlin.active(datetime(2026, 7, 15, 2, 45, tzinfo=UTC).timestamp())


def test_one_off_window_and_schedule_validation() -> None:
    once = Schedule(kind="once", start=100, end=200)
    assert [once.active(t) for t in (99, 100, 199, 200)] == [False, True, True, False]
    with pytest.raises(ValidationError, match="needs `days`"):
        Schedule(kind="weekly", at="02:00", duration=60)
    with pytest.raises(ValidationError, match="unknown time zone"):
        Schedule(kind="daily", at="02:00", duration=60, timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="`start` before `end`"):
        Schedule(kind="once", start=200, end=100)
