"""Numbers from a target are bounded: too large is a ParseError for that section only."""

from __future__ import annotations

import json
import re

import pytest
from peer_fixtures import capture_sections

from parsers import proc_meminfo
from parsers.errors import ParseError
from parsers.exposition import render_json, render_prometheus
from parsers.frame import Section
from parsers.numbers import LIMIT, bounded_float, bounded_int
from poller.collectors.registry import PARSERS, parse_all, samples

HUGE = "9" * 400
_FIRST_NUMBER = re.compile(r"(?<![\w.-])[0-9]+(?![\w.])")


@pytest.mark.parametrize(
    ("token", "ok"),
    [
        ("0", True),
        ("-9223372036854775808", True),  # s64 minimum
        ("18446744073709551615", True),  # u64 maximum
        (str(LIMIT), False),
        (HUGE, False),
        ("-" + HUGE, False),
    ],
    ids=["zero", "s64-min", "u64-max", "2**64", "400-digits", "minus-400-digits"],
)
def test_integers_within_the_u64_s64_range_are_accepted(token: str, ok: bool) -> None:
    if ok:
        assert bounded_int(token, "/x", "line") == int(token)
    else:
        with pytest.raises(ParseError, match="out of range"):
            bounded_int(token, "/x", "line")


@pytest.mark.parametrize("token", ["inf", "nan", "1e999", HUGE + ".5", "-1e20"])
def test_floats_must_be_finite_and_bounded(token: str) -> None:
    with pytest.raises(ParseError, match="out of range"):
        bounded_float(token, "/x", "line")


def test_a_400_digit_meminfo_value_fails_meminfo_with_a_reason() -> None:
    text = f"MemTotal:       {HUGE} kB\nMemFree:         1024 kB\n"
    with pytest.raises(ParseError, match="out of range") as caught:
        proc_meminfo.parse(text)
    assert "/proc/meminfo" in str(caught.value) and "(400 digits)" in str(caught.value)


def test_a_huge_meminfo_value_costs_only_that_section() -> None:
    found = dict(capture_sections())
    meminfo = found["meminfo"].text
    found["meminfo"] = Section("meminfo", meminfo.replace("MemFree:", f"MemFree: {HUGE} kB\nX:", 1))
    parsed = parse_all(found)
    assert "out of range" in parsed.failures["meminfo"]
    assert set(parsed.failures) == {"meminfo"}
    text = render_prometheus(samples(parsed.readings))
    assert "node_load1 " in text and "node_memory_" not in text


# every section of a real capture, each with its first number made 400 digits long
_SECTIONS = sorted(name for name, s in capture_sections().items() if name in PARSERS)


@pytest.mark.parametrize("name", _SECTIONS)
def test_a_400_digit_number_in_any_section_never_escapes_as_an_exception(name: str) -> None:
    section = capture_sections()[name]
    hostile = _FIRST_NUMBER.sub(HUGE, section.text, count=1)
    parsed = parse_all({name: Section(name, hostile, section.rc)})
    if name in parsed.failures:
        return  # refused with a reason: what we want for a value the kernel cannot print
    # accepted: the number was not a value (a cpu index, a device's major number, a
    # mount's dump column); whatever was kept must render in both output formats
    readings = parsed.readings
    render_prometheus(samples(readings))
    json.loads(render_json(samples(readings)))
