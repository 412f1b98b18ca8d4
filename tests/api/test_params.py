"""Time ranges as the API and page URLs accept them."""

from __future__ import annotations

import pytest

from api.params import BadParam, parse_time, time_range

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("now-90s", NOW - 90),
        ("now-1h", NOW - 3600),
        ("now-7d", NOW - 7 * 86400),
        ("1700000000", 1_700_000_000.0),
        ("1700000000.5", 1_700_000_000.5),
        ("2026-11-22T10:00:00Z", 1795341600.0),
        ("2026-11-22T10:00", 1795341600.0),  # no zone: UTC
        ("2026-11-22T11:00:00+01:00", 1795341600.0),
    ],
)
def test_time_forms(text: str, expected: float) -> None:
    assert parse_time("from", text, NOW) == expected


@pytest.mark.parametrize("text", ["now+1h", "tomorrow", "-5", "1e20", "now-1q"])
def test_bad_times_name_the_parameter(text: str) -> None:
    with pytest.raises(BadParam, match=r"from"):
        parse_time("from", text, NOW)


def test_range_defaults_to_the_last_hour() -> None:
    r = time_range(None, None, None, NOW)
    assert (r.start, r.end) == (NOW - 3600, NOW)


def test_from_with_default_to_is_until_now() -> None:
    r = time_range("now-6h", None, None, NOW)
    assert r.span == 6 * 3600


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("now-1h", "now-2h", None), "before"),
        ((None, None, "3y"), "at most"),
        ((None, None, "5s"), "at least"),
        (("now-1h", None, "1h"), "either"),
    ],
)
def test_bad_ranges(args: tuple[str | None, str | None, str | None], words: str) -> None:
    with pytest.raises(BadParam) as info:
        time_range(*args, NOW)
    assert words in str(info.value.detail)
