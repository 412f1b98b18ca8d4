"""Where the hwmon chips' `device` links lead, as the probe frames it (parsers/links.py,
parsers/sys_class_hwmon_device.py): the kernel's paths read back, and every line the
probe's shell cannot have printed refused, a hostile path included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import links, sys_class_hwmon, sys_class_hwmon_device
from parsers.errors import ParseError
from parsers.frame import join_files

# lines as the probe prints them on a real machine (node_exporter's labels in comments)
REAL = (
    "hwmon0 /sys/devices/platform/coretemp.0\n"  # platform_coretemp_0
    "hwmon1 /sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0\n"  # nvme_nvme0
    "hwmon2 /sys/devices/virtual/thermal/thermal_zone0\n"  # thermal_thermal_zone0
    "hwmon10 /sys/devices/platform/nct6775.656\n"  # platform_nct6775_656
)


def test_real_device_paths_by_chip_in_the_targets_order() -> None:
    hw = sys_class_hwmon_device.parse(REAL)
    assert list(hw.chips) == ["hwmon0", "hwmon1", "hwmon2", "hwmon10"]
    assert (
        hw.chips["hwmon1"].device == "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0"
    )
    assert all(c.name is None and c.sensors == {} for c in hw.chips.values())


def test_no_chip_with_a_device_is_an_empty_reading() -> None:
    assert sys_class_hwmon_device.parse("").chips == {}


def test_a_path_with_spaces_is_one_path() -> None:
    hw = sys_class_hwmon_device.parse("hwmon3 /sys/devices/weird/a b\n")
    assert hw.chips["hwmon3"].device == "/sys/devices/weird/a b"


@pytest.mark.parametrize(
    "text",
    [
        "hwmon0 /sys/devices/platform/\x01evil\n",
        "hwmon0 /sys/devices/platform/\x1b[31mred\n",
        "hwmon0 /sys/devices/caf\u00e9\n",
        "hwmon0 /sys/devices/tab\there\n",
        "hwmon0 /sys/devices/" + "x" * links.MAX_PATH + "\n",
        "hwmon0 relative/path\n",
        "hwmon0\n",
        "hwmon0 \n",
        " /sys/devices/platform/coretemp.0\n",
        "hwmon0 /sys/devices/platform/coretemp.0\nhwmon0 /sys/devices/platform/coretemp.1\n",
        "thermal_zone0 /sys/devices/virtual/thermal/thermal_zone0\n",
        "hwmonx /sys/devices/platform/coretemp.0\n",
        "../hwmon0 /sys/devices/platform/coretemp.0\n",
    ],
    ids=[
        "control-character",
        "escape-sequence",
        "not-ascii",
        "tab",
        "too-long",
        "not-absolute",
        "no-path",
        "empty-path",
        "no-name",
        "chip-twice",
        "not-a-hwmon-chip",
        "hwmon-without-number",
        "name-with-slash",
    ],
)
def test_a_line_the_probe_cannot_print_fails_the_section(text: str) -> None:
    with pytest.raises(ParseError):
        sys_class_hwmon_device.parse(text)


def test_a_path_at_the_bound_is_kept() -> None:
    path = "/sys/devices/" + "x" * (links.MAX_PATH - len("/sys/devices/"))
    assert sys_class_hwmon_device.parse(f"hwmon0 {path}\n").chips["hwmon0"].device == path


@pytest.mark.parametrize(
    "path",
    [
        "/sys/devices/a\nhwmon9 /sys/devices/forged",  # a newline could make up a line
        "/sys/devices/\x07bell",
        "/sys/devices/\x7fdel",
        "/sys/devices/caf\u00e9",
        "/sys/devices/" + "x" * links.MAX_PATH,
    ],
    ids=["newline", "control", "delete", "not-ascii", "too-long"],
)
def test_the_probe_prints_nothing_for_a_path_no_line_can_frame(path: str) -> None:
    assert links.line("hwmon0", path) is None


def test_the_probe_line_reads_back() -> None:
    line = links.line("hwmon1", "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0")
    assert line is not None
    assert links.parse(line, "test") == {
        "hwmon1": "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0"
    }


@given(st.text(max_size=300))
def test_any_text_gives_a_reading_or_a_parse_error(text: str) -> None:
    try:
        hw = sys_class_hwmon_device.parse(text)
    except ParseError:
        return
    for chip in hw.chips.values():
        assert chip.device is not None and chip.device.startswith("/")
        assert "\n" not in chip.device and len(chip.device) <= links.MAX_PATH


def test_sensors_on_the_device_and_a_thermal_zones_temp() -> None:
    """Older drivers' temp* files on the chip's device, and a thermal zone's own `temp`
    (an acpitz chip's device) as temp0, as node_exporter reads them; the device's files
    come after the chip's own and win where both are there."""
    hw = sys_class_hwmon.parse(
        join_files(
            (
                ("/sys/class/hwmon/hwmon0/temp1_input", "30000\n"),
                ("/sys/class/hwmon/hwmon0/device/temp1_input", "31000\n"),
                ("/sys/class/hwmon/hwmon0/device/temp2_input", "32000\n"),
                ("/sys/class/hwmon/hwmon0/device/temp2_label", " Core 1 \n"),
                ("/sys/class/hwmon/hwmon2/device/temp", "41800\n"),
            )
        )
    )
    sensors = hw.chips["hwmon0"].sensors
    assert (sensors["temp1"].celsius, sensors["temp2"].celsius) == (31.0, 32.0)
    assert sensors["temp2"].label == " Core 1 "  # node_exporter keeps the spaces
    assert hw.chips["hwmon2"].sensors["temp0"].celsius == 41.8
