"""Clock sources from /sys/devices/system/clocksource, labelled as node_exporter labels them."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import sys_devices_clocksource
from parsers.errors import ParseError
from parsers.frame import join_files
from parsers.sys_devices_clocksource import ClockSource

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "sysclass"
DIR = "/sys/devices/system/clocksource"


def test_this_vms_capture() -> None:
    # the sysclass tree's clocksource0, copied from this KVM guest (see its NOTICE)
    base = TREE / "sys" / "devices" / "system" / "clocksource" / "clocksource0"
    text = join_files(
        (f"{DIR}/clocksource0/{name}", (base / name).read_text())
        for name in ("available_clocksource", "current_clocksource")
    )
    got = sys_devices_clocksource.parse(text)
    assert dict(got.devices) == {"clocksource0": ClockSource(("tsc", "kvm-clock"), "tsc")}


def test_devices_in_go_sorted_order_whatever_the_shell_listed() -> None:
    text = join_files(
        [
            (f"{DIR}/clocksource2/current_clocksource", "hpet\n"),
            (f"{DIR}/clocksource10/current_clocksource", "tsc\n"),
            (f"{DIR}/clocksource2/available_clocksource", "hpet acpi_pm hpet \n"),
        ]
    )
    got = sys_devices_clocksource.parse(text)
    assert list(got.devices) == ["clocksource10", "clocksource2"]  # "1" < "2", as Go's Glob
    assert got.devices["clocksource2"] == ClockSource(("hpet", "acpi_pm"), "hpet")
    assert got.devices["clocksource10"] == ClockSource((), "tsc")


def test_no_clocksource_directory_is_an_empty_reading() -> None:
    assert sys_devices_clocksource.parse("").devices == {}


@pytest.mark.parametrize(
    "files",
    [
        pytest.param([(f"{DIR}/clocksource0/unbind_clocksource", "")], id="other-file"),
        pytest.param([(f"{DIR}/clocksource0/current_clocksource", "tsc hpet\n")], id="two-current"),
        pytest.param(
            [(f"{DIR}/clocksource0/available_clocksource", "tsc \x1b[31m\n")], id="control-char"
        ),
        pytest.param(
            [(f"{DIR}/clocksource0/available_clocksource", " ".join(f"c{i}" for i in range(40)))],
            id="too-many-sources",
        ),
        pytest.param(
            [(f"{DIR}/clocksource{i}/current_clocksource", "tsc\n") for i in range(20)],
            id="too-many-devices",
        ),
    ],
)
def test_malformed_raise(files: list[tuple[str, str]]) -> None:
    with pytest.raises(ParseError, match="clocksource"):
        sys_devices_clocksource.parse(join_files(files))


_LINES = st.sampled_from(
    [
        f"==> {DIR}/clocksource0/available_clocksource <==",
        f"==> {DIR}/clocksource1/current_clocksource <==",
        "tsc kvm-clock ",
        "hpet",
    ]
)


@given(st.lists(st.one_of(_LINES, st.text(max_size=20)), max_size=10))
def test_any_text_gives_a_reading_or_a_parse_error(lines: list[str]) -> None:
    with contextlib.suppress(ParseError):
        sys_devices_clocksource.parse("\n".join(lines))
