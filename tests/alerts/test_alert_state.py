"""The pure state machine, stepped through time by tables: (t, value, state, change)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from alerts.state import (
    INACTIVE,
    AlertState,
    Change,
    Observation,
    Op,
    Params,
    Severity,
    Status,
    Thresholds,
    evaluate,
    level,
    remind,
    vanish,
)

F, P, R, IN = AlertState.FIRING, AlertState.PENDING, AlertState.RESOLVED, AlertState.INACTIVE
W, C = Severity.WARNING, Severity.CRITICAL
TH = Thresholds(Op.GT, warning=80.0, critical=90.0)

Row = tuple[float, float, AlertState, Change | None]


def step_through(
    rows: list[Row], params: Params, th: Thresholds = TH, start: Status = INACTIVE
) -> Status:
    status = start
    for t, value, want_state, want_change in rows:
        current = status.severity if status.active else None
        obs = Observation(level(value, th, current), value)
        status, change = evaluate(status, obs, t, params)
        assert (t, status.state, change) == (t, want_state, want_change)
    return status


def test_pending_becomes_firing_once_for_has_elapsed() -> None:
    step_through(
        [
            (0, 50, IN, None),
            (10, 85, P, Change.PENDING),
            (20, 86, P, None),
            (69, 85, P, None),
            (70, 85, F, Change.FIRING),  # 60 s after it first held
            (80, 85, F, None),
        ],
        Params(for_s=60),
    )


def test_pending_that_clears_is_cancelled_and_starts_over() -> None:
    status = step_through(
        [
            (0, 85, P, Change.PENDING),
            (30, 70, IN, Change.CANCELLED),
            (40, 85, P, Change.PENDING),
            (90, 85, P, None),  # the clock restarted at 40
            (100, 85, F, Change.FIRING),
        ],
        Params(for_s=60),
    )
    assert status.since == 40


def test_without_for_it_fires_at_once_and_resolves() -> None:
    status = step_through(
        [
            (0, 95, F, Change.FIRING),
            (10, 50, R, Change.RESOLVED),
            (20, 50, R, None),
        ],
        Params(),
    )
    assert (status.fired_at, status.ended_at) == (0, 10)


def test_severity_moves_both_ways_while_firing_and_each_move_is_a_change() -> None:
    status = step_through(
        [
            (0, 85, F, Change.FIRING),
            (10, 95, F, Change.ESCALATED),
            (20, 96, F, None),
            (30, 85, F, Change.DEESCALATED),
        ],
        Params(),
    )
    assert status.severity is W


def test_hysteresis_keeps_a_hovering_value_firing_until_it_is_clearly_back() -> None:
    th = replace(TH, hysteresis=5.0)
    step_through(
        [
            (0, 81, F, Change.FIRING),
            (10, 79, F, None),  # below 80 but not below 75
            (20, 80.5, F, None),
            (30, 76, F, None),
            (40, 74.9, R, Change.RESOLVED),
            (50, 79, R, None),  # not active, so plain threshold: 79 is fine
        ],
        Params(),
        th,
    )


def test_hysteresis_works_downwards_for_less_than_rules() -> None:
    th = Thresholds(Op.LT, warning=24.0, critical=4.0, hysteresis=2.0)
    step_through(
        [
            (0, 30, IN, None),
            (10, 20, F, Change.FIRING),
            (20, 25, F, None),  # above 24 but not above 26
            (30, 3, F, Change.ESCALATED),
            (40, 5, F, None),  # critical holds until 6
            (50, 6.5, F, Change.DEESCALATED),
            (60, 27, R, Change.RESOLVED),
        ],
        Params(),
        th,
    )


def test_resolve_after_waits_before_resolving() -> None:
    step_through(
        [
            (0, 95, F, Change.FIRING),
            (10, 50, F, None),
            (50, 50, F, None),
            (60, 50, R, Change.RESOLVED),  # 60 s after it last held
        ],
        Params(resolve_after_s=60),
    )


def test_flapping_is_held_firing_said_once_and_released_after_a_quiet_window() -> None:
    params = Params(flap_window_s=600, flap_changes=4)
    status = step_through(
        [
            (0, 95, F, Change.FIRING),  # change 1
            (60, 50, R, Change.RESOLVED),  # 2
            (120, 95, F, Change.FIRING),  # 3
            (180, 50, F, Change.FLAPPING),  # 4: would resolve; held firing instead
            (240, 95, F, None),
            (300, 50, F, None),
            (360, 50, F, None),
            (899, 50, F, None),  # last flip at 300: still inside the quiet window
            (900, 50, R, Change.RESOLVED),
        ],
        params,
    )
    assert not status.flapping


def test_flapping_that_settles_true_says_so_and_stays_firing() -> None:
    params = Params(flap_window_s=100, flap_changes=3)
    status = step_through(
        [
            (0, 95, F, Change.FIRING),
            (10, 50, R, Change.RESOLVED),
            (20, 95, F, Change.FLAPPING),
            (30, 50, F, None),
            (40, 85, F, None),
            (140, 85, F, Change.SETTLED),
            (150, 50, R, Change.RESOLVED),  # an ordinary resolve again
        ],
        params,
    )
    assert status.severity is W


def test_changes_outside_the_flap_window_do_not_count() -> None:
    params = Params(flap_window_s=100, flap_changes=3)
    step_through(
        [
            (0, 95, F, Change.FIRING),
            (200, 50, R, Change.RESOLVED),
            (400, 95, F, Change.FIRING),
            (600, 50, R, Change.RESOLVED),
        ],
        params,
    )


@pytest.mark.parametrize(
    ("acked", "notified_at", "now", "want"),
    [
        pytest.param(False, 0.0, 3599.0, None, id="not-yet"),
        pytest.param(False, 0.0, 3600.0, Change.REMINDER, id="due"),
        pytest.param(True, 0.0, 9999.0, None, id="acknowledged"),
        pytest.param(False, None, 9999.0, None, id="never-told"),
    ],
)
def test_reminders_come_every_repeat_unless_acknowledged(
    acked: bool, notified_at: float | None, now: float, want: Change | None
) -> None:
    firing = Status(state=F, severity=W, fired_at=0, notified_at=notified_at, acked=acked)
    status, change = remind(firing, now, Params(repeat_s=3600))
    assert change is want
    if want is Change.REMINDER:
        assert status.notified_at == now
        assert remind(status, now + 3599, Params(repeat_s=3600))[1] is None


def test_escalation_clears_an_acknowledgement_but_deescalation_keeps_it() -> None:
    acked = Status(state=F, severity=W, fired_at=0, acked=True, cond=True)
    worse, change = evaluate(acked, Observation(C, 95), 10, Params())
    assert (change, worse.acked) == (Change.ESCALATED, False)
    acked_critical = replace(worse, acked=True)
    better, change = evaluate(acked_critical, Observation(W, 85), 20, Params())
    assert (change, better.acked) == (Change.DEESCALATED, True)


def test_a_vanished_series_resolves_firing_and_cancels_pending() -> None:
    assert vanish(Status(state=F, severity=W), 100)[0].state is R
    assert vanish(Status(state=P, severity=W), 100) == (INACTIVE, Change.CANCELLED)
    assert vanish(INACTIVE, 100) == (INACTIVE, None)


def test_nan_is_never_a_breach() -> None:
    assert level(math.nan, TH, Severity.CRITICAL) is None
