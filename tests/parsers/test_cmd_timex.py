from __future__ import annotations

from pathlib import Path

import pytest

from parsers import cmd_timex
from parsers.errors import ParseError

CMD = Path(__file__).parents[1] / "fixtures" / "cmd"


def _section(tool: str, capture: str) -> str:
    # the probe prints the tool's name, then its output (poller/collectors/timex.py)
    return f"{tool}\n{(CMD / capture).read_text()}"


def test_busybox_adjtimex_of_an_unsynchronised_kernel() -> None:
    t = cmd_timex.parse(_section("adjtimex", "busybox-adjtimex.unsynchronised"))
    assert t.tool == "adjtimex" and t.synchronised is False
    assert t.offset_seconds == 0.0
    assert t.maxerror_seconds == t.esterror_seconds == 16.0  # 16000000 µs, the kernel's cap
    # the other struct timex fields busybox prints, converted as node_exporter converts them
    # (node_exporter 1.5.0 on the same VM: ratio 1, status 64, constant 2, tick 0.01)
    assert t.frequency_adjustment_ratio == 1.0  # freq.adjust 0
    assert (t.status, t.loop_time_constant, t.tick_seconds) == (64, 2, 0.01)


def test_adjtimex_frequency_is_scaled_ppm_as_a_ratio() -> None:
    # a clock chronyd slows by 12.5 ppm: freq = -12.5 * 65536
    text = "adjtimex\n-f  freq.adjust:  -819200 (65536 = 1ppm)\n    return value: 0 (clock sync)\n"
    t = cmd_timex.parse(text)
    assert t.frequency_adjustment_ratio == 1 - 12.5e-6
    assert t.status is None and t.tick_seconds is None  # not printed: absent, not 0


def test_chronyc_synchronised_to_a_server() -> None:
    t = cmd_timex.parse(_section("chronyc", "chronyc-c-tracking.synchronised"))
    assert t.synchronised is True
    assert t.offset_seconds == -0.000001454  # "1.454 µs fast of NTP time"
    assert t.maxerror_seconds is None  # chronyc does not say: absent, not 0
    assert t.frequency_adjustment_ratio is t.status is t.tick_seconds is None


def test_chronyc_without_a_source() -> None:
    t = cmd_timex.parse(_section("chronyc", "chronyc-c-tracking.unsynchronised"))
    assert t.synchronised is False


@pytest.mark.parametrize(("value", "synced"), [("yes", True), ("no", False)])
def test_timedatectl_says_only_whether(value: str, synced: bool) -> None:
    t = cmd_timex.parse(f"timedatectl\n{value}\n")
    assert t.synchronised is synced and t.offset_seconds is None


def test_adjtimex_offset_in_nanoseconds_when_sta_nano_is_set() -> None:
    text = "adjtimex\n-o  offset:       -2500 us\n    status:       8193 (PLL | NANO)\n"
    text += "    return value: 0 (clock synchronized)\n"
    t = cmd_timex.parse(text)
    assert t.synchronised is True and t.offset_seconds == pytest.approx(-2.5e-6)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("ntpq\nsomething\n", id="unknown-tool"),
        pytest.param("adjtimex\n    mode: 0\n", id="adjtimex-without-status"),
        pytest.param("adjtimex\n    status: x\n", id="adjtimex-bad-number"),
        pytest.param("chronyc\n7F000001,127.0.0.1,9\n", id="chronyc-short"),
        pytest.param("chronyc\n" + ",".join(["nan"] * 14) + "\n", id="chronyc-nan"),
        pytest.param("timedatectl\nmaybe\n", id="timedatectl-neither"),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="timex"):
        cmd_timex.parse(text)
