from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import PROC, capture_section, expected, inline_cases

from parsers import proc_diskstats
from parsers.errors import ParseError

# procfs raw column -> (reading field, factor from raw units to base units)
_COLUMNS = {
    "major": ("major", 1),
    "minor": ("minor", 1),
    "reads_completed": ("reads_completed_total", 1),
    "reads_merged": ("reads_merged_total", 1),
    "sectors_read": ("read_bytes_total", 512),
    "time_reading_ms": ("read_time_seconds_total", 0.001),
    "writes_completed": ("writes_completed_total", 1),
    "writes_merged": ("writes_merged_total", 1),
    "sectors_written": ("written_bytes_total", 512),
    "time_writing_ms": ("write_time_seconds_total", 0.001),
    "ios_in_progress": ("io_in_progress", 1),
    "time_io_ms": ("io_time_seconds_total", 0.001),
    "weighted_time_io_ms": ("io_weighted_time_seconds_total", 0.001),
    "discards_completed": ("discards_completed_total", 1),
    "discards_merged": ("discards_merged_total", 1),
    "sectors_discarded": ("discarded_bytes_total", 512),
    "time_discarding_ms": ("discard_time_seconds_total", 0.001),
    "flush_requests_completed": ("flush_requests_total", 1),
    "time_flushing_ms": ("flush_time_seconds_total", 0.001),
}


def test_procfs_fixture_with_14_18_and_20_columns_matches_expected() -> None:
    disks = proc_diskstats.parse((PROC / "diskstats").read_text()).devices
    checked = 0
    for record in expected("diskstats", "proc/diskstats"):
        metric, device = record["metric"], record["labels"].get("device")
        if metric == "device_count":
            assert len(disks) == record["value"]
        elif metric == "line_device_name":
            assert list(disks)[int(record["labels"]["line_index"])] == record["value"]
        elif metric in _COLUMNS:
            field, factor = _COLUMNS[metric]
            assert getattr(disks[device], field) == pytest.approx(record["value"] * factor)
            checked += 1
    assert checked > 700


@pytest.mark.parametrize(
    ("device", "has_discards", "has_flush"),
    [
        pytest.param("sda", False, False, id="14-columns-up-to-4.17"),
        pytest.param("sdb", True, False, id="18-columns-4.18"),
        pytest.param("sdc", True, True, id="20-columns-5.5"),
    ],
)
def test_columns_a_kernel_lacks_are_none(device: str, has_discards: bool, has_flush: bool) -> None:
    disk = proc_diskstats.parse((PROC / "diskstats").read_text()).devices[device]
    assert (disk.discards_completed_total is not None) is has_discards
    assert (disk.flush_requests_total is not None) is has_flush


@pytest.mark.parametrize("case", inline_cases("psutil", "diskstats_"))
def test_psutil_7_14_15_column_cases(case: dict[str, Any]) -> None:
    want = dict(case["expected"])
    disk = proc_diskstats.parse(case["input"]).devices[want.pop("name")]
    names = {
        "reads": "reads_completed_total",
        "reads_merged": "reads_merged_total",
        "sectors_read": "read_bytes_total",
        "read_time_ms": "read_time_seconds_total",
        "writes": "writes_completed_total",
        "writes_merged": "writes_merged_total",
        "sectors_written": "written_bytes_total",
        "write_time_ms": "write_time_seconds_total",
        "io_time_ms": "io_time_seconds_total",
    }
    for key, value in want.items():
        got = getattr(disk, names[key])
        if got is None:
            # 7-column lines: psutil fills 0, sshmon keeps "not printed" as None
            assert value == 0 and len(case["input"].split()) == 7
        else:
            scale = 512 if key.startswith("sectors") else 0.001 if key.endswith("_ms") else 1
            assert got == pytest.approx(value * scale)


def test_real_capture_has_the_virtio_disk() -> None:
    disks = proc_diskstats.parse(capture_section("diskstats")).devices
    vda = disks["vda"]
    assert vda.read_bytes_total > 0 and vda.read_bytes_total % 512 == 0
    assert vda.flush_requests_total is not None  # Linux 6.18 prints 20 columns


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("8 0 sda 1 2 3 4 5 6 7 8 9 10\n", id="13-columns"),
        pytest.param("8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n", id="not-a-number"),
        pytest.param("8 0 sda 1 2 3 4 5 6 7 8 9 10 -1\n", id="negative"),
    ],
)
def test_malformed_lines_raise(line: str) -> None:
    with pytest.raises(ParseError, match="diskstats"):
        proc_diskstats.parse(line)


def test_64bit_counters() -> None:
    big = 2**64 - 1
    disk = proc_diskstats.parse(f"8 0 sda {big} 0 {big} 0 0 0 0 0 0 0 0\n").devices["sda"]
    assert disk.reads_completed_total == big and disk.read_bytes_total == big * 512


@pytest.mark.parametrize("columns", [14, 18, 20])
def test_idle_device_reads_zeros_and_none_like_a_busy_one(columns: int) -> None:
    # all-zero lines (idle loop devices) take a shortcut; it must give what the full
    # parse of the same columns gives: 0 counters, 0.0 seconds, None for absent columns
    zeros = " ".join(["0"] * (columns - 3))
    idle = proc_diskstats.parse(f"7 3 loop3 {zeros}\n").devices["loop3"]
    busy = proc_diskstats.parse(f"7 3 loop3 1 {zeros[2:]}\n").devices["loop3"]
    assert (idle.major, idle.minor, idle.reads_completed_total) == (7, 3, 0)
    assert idle._replace(reads_completed_total=1) == busy
    assert [type(v) for v in idle[3:]] == [type(v) for v in busy[3:]]
    assert (idle.flush_requests_total is None) is (columns < 20)
    assert (idle.discards_completed_total is None) is (columns < 18)


def test_idle_line_with_a_negative_major_still_raises() -> None:
    with pytest.raises(ParseError, match="diskstats"):
        proc_diskstats.parse("-7 0 loop0 " + " ".join(["0"] * 17) + "\n")
