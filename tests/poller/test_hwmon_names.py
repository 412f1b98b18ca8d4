"""How a hwmon chip is named: node_exporter's `chip` label (its device's path, else its
name file, else hwmonN; hwmon_linux.go hwmonName) on /metrics and in replay, and the
stored `CHIP/SENSOR` (the driver's name where it is unique on the host, else with the
stable device name, hwmonN only where a chip has no device)."""

from __future__ import annotations

import pytest

from parsers.sys_class_hwmon import Chip, Hwmon, Sensor
from poller.collectors import hwmon

COMPOSITE = {"temp1": Sensor("Composite", 40.0)}


@pytest.mark.parametrize(
    ("chip", "expected"),
    [
        # node_exporter's own e2e fixture (collector/fixtures/sys.ttar, e2e-output.txt)
        (Chip("applesmc", {}, "/sys/devices/platform/applesmc.768"), "platform_applesmc_768"),
        (Chip("coretemp", {}, "/sys/devices/platform/coretemp.0"), "platform_coretemp_0"),
        (Chip("nct6779", {}, "/sys/devices/platform/nct6775.656"), "platform_nct6775_656"),
        (Chip(None, {}, None), "hwmon4"),
        # real machines
        (
            Chip("nvme", {}, "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0"),
            "nvme_nvme0",
        ),
        (
            Chip("mlx5", {}, "/sys/devices/pci0000:d7/0000:d7:00.0/0000:d8:00.0"),
            "0000:d7:00_0_0000:d8:00_0",
        ),
        (Chip("acpitz", {}, "/sys/devices/virtual/thermal/thermal_zone0"), "thermal_thermal_zone0"),
        # what node_exporter 1.5.0 printed for these on a tree made for it (this repo's
        # tests/parsers/test_sys_families.py runs it on tests/fixtures/sysclass)
        (Chip("My Chip", {}, "/sys/devices/platform/Foo.Bar-1"), "platform_foo_bar_1"),
        (Chip("x", {}, "/sys/devices/weird/a b"), "weird_a_b"),
        (Chip("-!-", {}, "/sys/devices/weird"), "devices_weird"),
        # no device: the name file, cleaned; nothing left of it: hwmonN
        (Chip("nvme", {}, None), "nvme"),
        (Chip("My Chip", {}, None), "my_chip"),
        (Chip("-!-", {}, None), "hwmon4"),
        # a device path whose type cleans to nothing: its name alone; whose name does: none
        (Chip("x", {}, "/__/coretemp.0"), "coretemp_0"),
        (Chip("x", {}, "/sys/devices/___"), "x"),
    ],
)
def test_chip_label_is_node_exporters(chip: Chip, expected: str) -> None:
    assert hwmon.node_chip("hwmon4", chip) == expected


def test_clean_is_node_exporters_clean_metric_name() -> None:
    assert hwmon.clean("Package id 0") == "package_id_0"
    assert hwmon.clean("__coretemp.0__") == "coretemp_0"
    assert hwmon.clean("0000:3d:00.0") == "0000:3d:00_0"
    assert hwmon.clean("-!-") == ""


def _names(chips: dict[str, Chip]) -> dict[tuple[str, str], str]:
    return hwmon.sensor_names(Hwmon(chips))


def test_a_unique_driver_name_is_kept() -> None:
    names = _names({"hwmon1": Chip("nvme", COMPOSITE, "/sys/devices/pci0000:00/x/nvme/nvme0")})
    assert names == {("hwmon1", "temp1"): "nvme/Composite"}


def test_two_drives_of_one_driver_are_told_apart_by_their_devices_not_hwmonN() -> None:
    names = _names(
        {
            "hwmon1": Chip("nvme", COMPOSITE, "/sys/devices/pci0000:00/0000:00:1d.0/nvme/nvme0"),
            "hwmon3": Chip("nvme", COMPOSITE, "/sys/devices/pci0000:00/0000:00:1c.4/nvme/nvme1"),
        }
    )
    assert names == {
        ("hwmon1", "temp1"): "nvme nvme_nvme0/Composite",
        ("hwmon3", "temp1"): "nvme nvme_nvme1/Composite",
    }


def test_the_names_survive_a_reboot_that_renumbers_the_chips() -> None:
    """The drivers registered in another order: hwmon1 and hwmon3 swapped drives."""
    nvme0, nvme1 = (
        "/sys/devices/p/0000:00:1d.0/nvme/nvme0",
        "/sys/devices/p/0000:00:1c.4/nvme/nvme1",
    )
    before = _names(
        {"hwmon1": Chip("nvme", COMPOSITE, nvme0), "hwmon3": Chip("nvme", COMPOSITE, nvme1)}
    )
    after = _names(
        {"hwmon1": Chip("nvme", COMPOSITE, nvme1), "hwmon3": Chip("nvme", COMPOSITE, nvme0)}
    )
    assert before[("hwmon1", "temp1")] == after[("hwmon3", "temp1")]
    assert before[("hwmon3", "temp1")] == after[("hwmon1", "temp1")]


def test_without_devices_two_chips_of_one_name_keep_hwmonN() -> None:
    names = _names({"hwmon1": Chip("nvme", COMPOSITE), "hwmon3": Chip("nvme", COMPOSITE)})
    assert set(names.values()) == {"nvme hwmon1/Composite", "nvme hwmon3/Composite"}


def test_two_chips_of_one_device_and_name_fall_back_to_hwmonN() -> None:
    dev = "/sys/devices/platform/dual.0"
    names = _names({"hwmon0": Chip("dual", COMPOSITE, dev), "hwmon1": Chip("dual", COMPOSITE, dev)})
    assert set(names.values()) == {"dual hwmon0/Composite", "dual hwmon1/Composite"}


def test_a_chip_without_a_name_is_stored_by_its_device_else_hwmonN() -> None:
    names = _names(
        {
            "hwmon5": Chip(None, {"temp1": Sensor(None, 35.0)}, "/sys/devices/platform/it87.2608"),
            "hwmon4": Chip(
                None, {"temp1": Sensor("foosensor", 55.0), "temp2": Sensor("foosensor")}
            ),
        }
    )
    assert names == {
        ("hwmon5", "temp1"): "platform_it87_2608/temp1",
        ("hwmon4", "temp1"): "hwmon4/temp1",  # two sensors share a label: their files
        ("hwmon4", "temp2"): "hwmon4/temp2",
    }


def test_a_label_of_spaces_names_nothing() -> None:
    names = _names(
        {"hwmon0": Chip("coretemp", {"temp1": Sensor("  "), "temp2": Sensor(" Core 0 ")})}
    )
    assert names == {("hwmon0", "temp1"): "coretemp/temp1", ("hwmon0", "temp2"): "coretemp/Core 0"}


def test_chips_node_exporter_would_name_alike_export_the_first_once() -> None:
    """Two chips of one name without a device: node_exporter labels both `nvme`, keeps
    the first series of each name and labels (and logs the second as collected before)."""
    readings = {
        "hwmon": Hwmon(
            {
                "hwmon0": Chip(None, {"temp1": Sensor(None, 30.0)}),
                "hwmon1": Chip(None, {"temp1": Sensor(None, 31.0), "temp2": Sensor(None, 32.0)}),
            }
        ),
        "hwmon_names": Hwmon({"hwmon0": Chip("nvme"), "hwmon1": Chip("nvme")}),
    }
    got = [(s.name, s.labels, s.value) for s in hwmon.samples(readings)]
    assert got == [
        ("node_hwmon_chip_names", (("chip", "nvme"), ("chip_name", "nvme")), 1),
        ("node_hwmon_temp_celsius", (("chip", "nvme"), ("sensor", "temp1")), 30.0),
        ("node_hwmon_temp_celsius", (("chip", "nvme"), ("sensor", "temp2")), 32.0),
    ]


def test_the_held_devices_label_every_polls_chips() -> None:
    readings = {
        "hwmon": Hwmon({"hwmon0": Chip(None, {"temp1": Sensor(None, 61.0)})}),
        "hwmon_names": Hwmon({"hwmon0": Chip("coretemp")}),
        "hwmon_devices": Hwmon({"hwmon0": Chip(device="/sys/devices/platform/coretemp.0")}),
    }
    labels = {dict(s.labels)["chip"] for s in hwmon.samples(readings)}
    assert labels == {"platform_coretemp_0"}
    # no device read yet (or not on this host): the name, as node_exporter without one
    del readings["hwmon_devices"]
    assert {dict(s.labels)["chip"] for s in hwmon.samples(readings)} == {"coretemp"}
