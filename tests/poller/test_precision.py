from __future__ import annotations

import math

import pytest

from poller.precision import Precision, decimals, exact, significant


@pytest.mark.parametrize(
    ("precision", "value", "kept"),
    [
        (significant(4), 12.3456789, 12.35),
        (significant(4), 0.0036, 0.0036),
        (significant(4), 0.000461234, 0.0004612),
        (significant(4), 6_012_345_678.0, 6_012_000_000.0),
        (significant(4), -3.14159, -3.142),
        (decimals(2), 12.3456789, 12.35),
        (decimals(2), 99.951, 99.95),
        (decimals(2), 0.004, 0.0),
        (exact(), 1_796_055_870.0, 1_796_055_870.0),
        (exact(), 0.1 + 0.2, 0.1 + 0.2),
    ],
    ids=["sig", "sig-small", "sig-smaller", "sig-large", "sig-negative", "dec", "dec-near-100",
         "dec-below-step", "exact-btime", "exact-bits"],
)
def test_rounding(precision: Precision, value: float, kept: float) -> None:
    assert precision.apply(value) == kept


@pytest.mark.parametrize("precision", [significant(3), decimals(2)], ids=str)
def test_non_finite_values_pass_through(precision: Precision) -> None:
    assert math.isnan(precision.apply(math.nan))
    assert precision.apply(math.inf) == math.inf and precision.apply(-math.inf) == -math.inf


def test_exact_has_no_rounder() -> None:
    assert exact().exact and exact().rounder() is None and str(exact()) == "exact"
    assert str(significant(4)) == "4 significant digits" and str(decimals(2)) == "2 decimals"


@pytest.mark.parametrize(
    "kwargs", [{"digits": 4, "decimals": 2}, {"digits": 0}, {"digits": 18}, {"decimals": -1}],
    ids=str,
)
def test_invalid_precisions_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        Precision(**kwargs)


@pytest.mark.parametrize("precision", [significant(1), significant(4), decimals(0), decimals(2)],
                         ids=str)
@pytest.mark.parametrize("zero", [0.0, -0.0, 0], ids=["zero", "negative-zero", "int-zero"])
def test_zero_shortcut_gives_what_format_and_round_give(precision: Precision,
                                                         zero: float) -> None:
    # the rounders return zero without formatting it: the same value, type and sign bit
    rounder = precision.rounder()
    assert rounder is not None
    slow = (float(format(zero, f".{precision.digits}g")) if precision.digits is not None
            else round(zero, precision.decimals or 0))
    got = rounder(zero)
    assert (type(got), got, math.copysign(1.0, got)) == (
        type(slow), slow, math.copysign(1.0, slow))
