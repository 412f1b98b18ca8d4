"""The /sys glob families and /proc/mdstat against node_exporter 1.5.0 on the same tree
(tests/fixtures/sysclass, see its NOTICE), plus the edge cases of each parser."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from parsers import (
    proc_mdstat,
    sys_block_ioerr,
    sys_class_hwmon,
    sys_class_net,
    sys_class_net_bonding,
    sys_class_thermal,
)
from parsers.errors import ParseError
from parsers.frame import join_files
from poller.collectors.registry import parse_all, samples
from poller.replay import sections_from_root

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "sysclass"
FAMILIES = ("node_md_", "node_network_", "node_bonding_", "node_hwmon_", "node_thermal_")
FAMILIES += ("node_time_clocksource_",)
Key = tuple[str, tuple[tuple[str, str], ...]]


def _ours() -> dict[Key, float]:
    parsed = parse_all(sections_from_root(TREE))
    assert parsed.failures == {}
    return {
        (s.name, tuple(sorted(s.labels))): s.value
        for s in samples(parsed.readings)
        if s.name.startswith(FAMILIES)
    }


def _node_exporter() -> dict[Key, float]:
    text = (TREE / "node_exporter-1.5.0.prom").read_text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


NODE_EXPORTER = Path("/usr/bin/prometheus-node-exporter")
_NETCLASS = (
    "up|carrier|mtu_bytes|speed_bytes|info|address_assign_type|carrier_changes_total"
    "|carrier_up_changes_total|carrier_down_changes_total|device_id|dormant|flags|iface_id"
    "|iface_link|iface_link_mode|name_assign_type|net_dev_group|protocol_type"
    "|transmit_queue_length"
)
_KEPT = re.compile(
    rf"node_(md_|network_({_NETCLASS})[{{ ]|bonding_|hwmon_|thermal_"
    r"|time_clocksource_)"  # not node_time_seconds: the wall clock, never the same twice
)


def _run_node_exporter() -> dict[Key, float]:
    """node_exporter's scrape of the tree (the NOTICE's command line), the kept families."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    collectors = ("mdadm", "netclass", "bonding", "hwmon", "thermal_zone", "time")
    proc = subprocess.Popen(
        [
            str(NODE_EXPORTER),
            f"--path.procfs={TREE / 'proc'}",
            f"--path.sysfs={TREE / 'sys'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            *(f"--collector.{c}" for c in collectors),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        text = _scrape(f"http://127.0.0.1:{port}/metrics")
    finally:
        proc.terminate()
        proc.wait(10)
    kept = "".join(line + "\n" for line in text.split("\n") if _KEPT.match(line))
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(kept)
        for s in f.samples
    }


def _scrape(url: str) -> str:
    for _ in range(200):  # until it listens: a bounded number of tries, not a clock
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return str(resp.read().decode())
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"node_exporter never answered at {url}")


def _family(values: dict[Key, float], prefix: str) -> dict[Key, float]:
    return {k: v for k, v in values.items() if k[0].startswith(prefix)}


@pytest.mark.parametrize(
    "prefix", ["node_md_", "node_bonding_", "node_thermal_", "node_time_clocksource_"]
)
def test_same_samples_as_node_exporter(prefix: str) -> None:
    assert _family(_ours(), prefix) == _family(_node_exporter(), prefix)


def test_netclass_matches_node_exporter_but_for_an_unknown_speed() -> None:
    """Every node_network_* family node_exporter 1.5.0 gives on the tree (carrier counters,
    identifiers in hex and decimal, lo's type 772 and flags 0x9 included), with these
    deliberate differences: speed -1 (SPEED_UNKNOWN) is not exported (node_exporter 1.5
    exports -125000 bytes/s), and node_network_info carries only device, duplex and
    operstate (address, broadcast and ifalias are not read)."""
    theirs = _family(_node_exporter(), "node_network_")
    speed = ("node_network_speed_bytes", (("device", "bond0"),))
    assert theirs.pop(speed) == -125000
    info = {
        (
            "node_network_info",
            tuple(kv for kv in k[1] if kv[0] in ("device", "duplex", "operstate")),
        ): v
        for k, v in theirs.items()
        if k[0] == "node_network_info"
    }
    rest = {k: v for k, v in theirs.items() if k[0] != "node_network_info"}
    assert _family(_ours(), "node_network_") == {**rest, **info}


def test_hwmon_matches_node_exporter_chip_labels_and_all() -> None:
    """Every node_hwmon_* sample node_exporter 1.5.0 gives on the tree, with its labels: a
    chip named by its device (platform_coretemp_0, two nvme drives nvme_nvme0/nvme_nvme1,
    the acpitz chip by its thermal zone), by hwmonN without name or device (hwmon4); an
    old driver's sensors on its device (platform_it87_2608) and the thermal zone's own
    `temp` as temp0. Values equal but where we are exact: 84850 millidegrees is 84.85,
    where node_exporter prints 84.85000000000001."""
    ours = _family(_ours(), "node_hwmon_")
    theirs = _family(_node_exporter(), "node_hwmon_")
    assert ours.keys() == theirs.keys()
    assert ours == pytest.approx(theirs, rel=1e-15)
    crit = ("node_hwmon_temp_crit_celsius", (("chip", "nvme_nvme0"), ("sensor", "temp1")))
    assert ours[crit] == 84.85
    zone = ("node_hwmon_temp_celsius", (("chip", "thermal_thermal_zone2"), ("sensor", "temp0")))
    assert ours[zone] == 41.8


@pytest.mark.skipif(not NODE_EXPORTER.exists(), reason="prometheus-node-exporter not installed")
def test_saved_node_exporter_output_is_what_it_prints_on_the_tree() -> None:
    """The saved reference is node_exporter's own output on this tree, kept as its NOTICE
    says (symlinks included): run the installed 1.5.0 on it and compare."""
    assert _family(_run_node_exporter(), "node_") == _node_exporter()


def _files(*files: tuple[str, str]) -> str:
    return join_files(files)


def test_an_unreadable_speed_or_carrier_is_unknown_never_zero() -> None:
    text = _files(
        ("/sys/class/net/ifb0/operstate", "down\n"),
        ("/sys/class/net/ifb0/carrier", ""),
        ("/sys/class/net/ifb0/speed", ""),
        ("/sys/class/net/ifb0/mtu", "1500\n"),
        ("/sys/class/net/eth0/speed", "-1\n"),
    )
    net = sys_class_net.parse(text)
    ifb = net.interfaces["ifb0"]
    assert (ifb.operstate, ifb.carrier, ifb.speed_mbps, ifb.mtu) == ("down", None, None, 1500)
    assert net.interfaces["eth0"].speed_mbps is None


def test_identifiers_are_read_in_hex_or_decimal_as_the_kernel_prints_them() -> None:
    net = sys_class_net.parse(
        _files(
            ("/sys/class/net/eth0/carrier_changes", "5\n"),
            ("/sys/class/net/eth0/carrier_up_count", "2\n"),
            ("/sys/class/net/eth0/carrier_down_count", "3\n"),
            ("/sys/class/net/eth0/dev_id", "0x20\n"),
            ("/sys/class/net/eth0/flags", "0x1003\n"),
            ("/sys/class/net/eth0/ifindex", "4\n"),
            ("/sys/class/net/lo/type", "772\n"),
            ("/sys/class/net/lo/flags", "0x9\n"),
        )
    )
    eth0, lo = net.interfaces["eth0"], net.interfaces["lo"]
    assert (eth0.carrier_changes_total, eth0.carrier_up_total, eth0.carrier_down_total) == (5, 2, 3)
    assert dict(eth0.id_items()) == {"dev_id": 32, "flags": 4099, "ifindex": 4}
    assert dict(lo.id_items()) == {"type": 772, "flags": 9} and lo.carrier_changes_total is None


def test_an_unreadable_identifier_is_left_out_never_zero() -> None:
    """An ifb or a down interface: dormant and name_assign_type answer EINVAL, the probe
    prints the header alone, and node_exporter skips the file; so do we."""
    net = sys_class_net.parse(
        _files(
            ("/sys/class/net/ifb0/dormant", ""),
            ("/sys/class/net/ifb0/name_assign_type", ""),
            ("/sys/class/net/ifb0/carrier_changes", ""),
            ("/sys/class/net/ifb0/ifindex", "2\n"),
        )
    )
    ifb = net.interfaces["ifb0"]
    assert ifb.id_items() == (("ifindex", 2),) and ifb.carrier_changes_total is None


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sys/class/net/eth0/operstate", "sideways\n"),
        ("/sys/class/net/eth0/carrier", "2\n"),
        ("/sys/class/net/eth0/mtu", "1" * 30 + "\n"),
        ("/sys/class/net/eth0/address", "x\n"),
        ("/sys/class/net/eth0/flags", "4099\n"),
        ("/sys/class/net/eth0/dev_id", "0X20\n"),
        ("/sys/class/net/eth0/flags", "0x\n"),
        ("/sys/class/net/eth0/flags", "0x" + "f" * 17 + "\n"),
        ("/sys/class/net/eth0/ifindex", "0x2\n"),
        ("/sys/class/net/eth0/carrier_changes", "many\n"),
        ("/sys/class/net/eth0/tx_queue_len", "1" * 30 + "\n"),
    ],
    ids=[
        "bad-operstate",
        "carrier-2",
        "mtu-out-of-range",
        "unread-attribute",
        "flags-not-hex",
        "hex-upper-prefix",
        "hex-no-digits",
        "hex-over-64-bits",
        "ifindex-hex",
        "counter-not-a-number",
        "queue-out-of-range",
    ],
)
def test_bad_netclass_text_is_a_parse_error(path: str, body: str) -> None:
    with pytest.raises(ParseError):
        sys_class_net.parse(_files((path, body)))


def test_hwmon_sensor_that_fails_to_read_has_no_value() -> None:
    hw = sys_class_hwmon.parse(
        _files(
            ("/sys/class/hwmon/hwmon0/name", "nvme\n"),
            ("/sys/class/hwmon/hwmon0/temp1_input", ""),  # ENODATA: drive asleep
            ("/sys/class/hwmon/hwmon0/temp1_crit", "84850\n"),
        )
    )
    sensor = hw.chips["hwmon0"].sensors["temp1"]
    assert (sensor.celsius, sensor.crit_celsius) == (None, 84.85)


def test_thermal_zone_negative_and_unreadable() -> None:
    th = sys_class_thermal.parse(
        _files(
            ("/sys/class/thermal/thermal_zone0/type", "cpu-thermal\n"),
            ("/sys/class/thermal/thermal_zone0/temp", "-5250\n"),
            ("/sys/class/thermal/thermal_zone1/type", "iwlwifi_1\n"),
            ("/sys/class/thermal/thermal_zone1/temp", ""),
        )
    )
    assert th.zones["0"].celsius == -5.25 and th.zones["1"].celsius is None


MDSTAT = """Personalities : [raid1] [raid5]
md1 : active raid5 sdd1[3] sdc1[1] sdb1[0]
      1953260544 blocks super 1.2 level 5, 512k chunk, algorithm 2 [3/2] [UU_]
      [=>...................]  recovery =  6.2% (61022720/976630272) finish=83.1min speed=183630K/sec
      bitmap: 1/8 pages [4KB], 65536KB chunk

unused devices: <none>
"""


def test_mdstat_recovery_after_a_bitmap_line_is_read() -> None:
    a = proc_mdstat.parse(MDSTAT).arrays["md1"]
    assert (a.state, a.degraded, a.disks_required, a.disks_active) == ("recovering", True, 3, 2)
    assert a.sync_percent == pytest.approx(61022720 / 976630272 * 100)


def test_no_arrays_is_an_empty_reading() -> None:
    text = "Personalities : \nunused devices: <none>\n"
    assert proc_mdstat.parse(text).arrays == {}


@pytest.mark.parametrize(
    "text",
    [
        "md0 : active raid1 sda1[0]\n",
        "md0 : resting raid1 sda1[0]\n      100 blocks [2/2] [UU]\n",
        "md0 : active raid1 sda1[0]\n      100 blocks [2/2]\n",
    ],
    ids=["no-status-line", "unknown-state", "no-member-map"],
)
def test_bad_mdstat_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        proc_mdstat.parse(text)


_HEADERS = st.sampled_from(
    [
        "==> /sys/class/net/eth0/operstate <==",
        "==> /sys/class/net/eth0/speed <==",
        "==> /sys/class/net/eth0/flags <==",
        "==> /sys/class/net/eth0/carrier_changes <==",
        "==> /sys/class/net/bond0/bonding/slaves <==",
        "==> /sys/class/net/eth0/bonding_slave/mii_status <==",
        "==> /sys/class/hwmon/hwmon0/temp1_input <==",
        "==> /sys/class/hwmon/hwmon0/name <==",
        "==> /sys/class/thermal/thermal_zone0/temp <==",
        "md0 : active raid1 sda1[0] sdb1[1](F)",
        "      100 blocks [2/1] [U_]",
    ]
)


@given(st.lists(st.one_of(_HEADERS, st.text(max_size=20)), max_size=12))
def test_any_text_gives_a_reading_or_a_parse_error(lines: list[str]) -> None:
    text = "\n".join(lines)
    for parse in (
        proc_mdstat.parse,
        sys_class_net.parse,
        sys_class_net_bonding.parse,
        sys_class_hwmon.parse,
        sys_class_thermal.parse,
    ):
        with contextlib.suppress(ParseError):
            parse(text)


def test_scsi_io_errors_are_hex_and_a_disk_without_the_file_has_none() -> None:
    parsed = parse_all(sections_from_root(TREE))
    errs = parsed.readings["ioerr"]
    assert isinstance(errs, sys_block_ioerr.IoErrors)
    assert dict(errs.devices) == {"sda": 31, "sdb": 0}  # nvme0n1 has no ioerr_cnt


@pytest.mark.parametrize("body", ["31\n", "0x\n", "0x" + "f" * 17 + "\n"])
def test_ioerr_not_in_hex_is_a_parse_error(body: str) -> None:
    with pytest.raises(ParseError):
        sys_block_ioerr.parse(_files(("/sys/block/sda/device/ioerr_cnt", body)))
