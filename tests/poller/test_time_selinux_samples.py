"""time (clock sources) and selinux readings named as node_exporter 1.5.0 names them (HELP
texts from collector/time.go and selinux_linux.go; values as it printed them on this VM)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from parsers.exposition import Sample
from parsers.frame import join_files
from parsers.sys_devices_clocksource import parse as parse_clocksource
from parsers.sys_fs_selinux import Selinux
from parsers.sys_fs_selinux import parse as parse_selinux
from poller.collectors import selinux, time
from poller.collectors.base import Readings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DIR = "/sys/devices/system/clocksource"


def _values(samples: Iterable[Sample]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, s.labels): s.value for s in samples}


def test_clocksources_with_device_as_position() -> None:
    text = join_files(
        [
            (f"{DIR}/clocksource0/available_clocksource", "tsc kvm-clock \n"),
            (f"{DIR}/clocksource0/current_clocksource", "tsc\n"),
            (f"{DIR}/clocksource1/available_clocksource", "hpet\n"),
            (f"{DIR}/clocksource1/current_clocksource", "hpet\n"),
        ]
    )
    got = list(time.samples({"clocksource": parse_clocksource(text)}))
    avail, cur = "node_time_clocksource_available_info", "node_time_clocksource_current_info"
    assert _values(got) == {
        (avail, (("clocksource", "tsc"), ("device", "0"))): 1,
        (avail, (("clocksource", "kvm-clock"), ("device", "0"))): 1,
        (cur, (("clocksource", "tsc"), ("device", "0"))): 1,
        (avail, (("clocksource", "hpet"), ("device", "1"))): 1,
        (cur, (("clocksource", "hpet"), ("device", "1"))): 1,
    }
    assert {s.help for s in got if s.name == cur} == {
        "Current clocksource read from '/sys/devices/system/clocksource'."
    }
    assert {s.type for s in got} == {"gauge"}


def test_no_time_seconds_nor_zone_offset() -> None:
    text = join_files([(f"{DIR}/clocksource0/current_clocksource", "tsc\n")])
    names = {s.name for s in time.samples({"clocksource": parse_clocksource(text)})}
    assert names == {"node_time_clocksource_current_info"}


def test_selinux_disabled_exports_only_enabled_0() -> None:
    reading = parse_selinux((FIXTURES / "selinux" / "head.debian12").read_text())
    got = list(selinux.samples({"selinux": reading}))
    assert _values(got) == {("node_selinux_enabled", ()): 0}
    assert got[0].help == "SELinux is enabled, 1 is true, 0 is false"


def test_selinux_enabled_exports_both_modes() -> None:
    got = _values(selinux.samples({"selinux": Selinux(True, config_mode=1, current_mode=0)}))
    assert got == {
        ("node_selinux_enabled", ()): 1,
        ("node_selinux_config_mode", ()): 1,
        ("node_selinux_current_mode", ()): 0,
    }


def test_selinux_mode_unread_is_left_out() -> None:
    got = _values(selinux.samples({"selinux": Selinux(True, config_mode=-1)}))
    assert got == {("node_selinux_enabled", ()): 1, ("node_selinux_config_mode", ()): -1}


def test_absent_sections_export_nothing() -> None:
    empty: Readings = {}
    assert [*time.samples(empty), *selinux.samples(empty)] == []
