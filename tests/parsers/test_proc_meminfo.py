from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import PROC, capture_section, expected, inline_cases

from parsers import proc_meminfo
from parsers.errors import ParseError


def test_procfs_fixture_matches_every_expected_value() -> None:
    mem = proc_meminfo.parse((PROC / "meminfo").read_text())
    for record in expected("meminfo", "proc/meminfo", "meminfo"):
        key = record["labels"]["key"]
        if record["unit"] == "kB":
            assert mem.sizes_bytes[key] == record["value"] * 1024
        else:
            assert mem.counts[key] == record["value"]


def test_missing_memavailable_is_none() -> None:
    # the procfs fixture comes from a kernel without MemAvailable (before 3.14)
    [present] = expected("meminfo", "proc/meminfo", "meminfo_key_present")
    assert present["value"] is False
    mem = proc_meminfo.parse((PROC / "meminfo").read_text())
    assert mem.available_bytes is None and mem.total_bytes == 16042172416


def test_hugepage_counts_stay_counts() -> None:
    mem = proc_meminfo.parse(capture_section("meminfo"))
    assert "HugePages_Total" in mem.counts and "HugePages_Total" not in mem.sizes_bytes
    assert mem.sizes_bytes["Hugepagesize"] % 1024 == 0


def test_real_capture_is_consistent() -> None:
    mem = proc_meminfo.parse(capture_section("meminfo"))
    total, avail = mem.total_bytes, mem.available_bytes
    assert total is not None and avail is not None and 0 < avail <= total
    assert mem.sizes_bytes["Active(anon)"] >= 0  # keys keep the kernel's spelling


# psutil's names for what it derives from meminfo -> the kernel key it comes from
_PSUTIL_KEYS = {
    "total_bytes": "MemTotal",
    "free_bytes": "MemFree",
    "buffers_bytes": "Buffers",
    "shared(Shmem)_bytes": "Shmem",
    "active_bytes": "Active",
    "inactive_bytes": "Inactive",
    "slab_bytes": "Slab",
    "available_bytes": "MemAvailable",
    "MemAvailable_bytes": "MemAvailable",
}


@pytest.mark.parametrize("case", inline_cases("psutil", "meminfo_"))
def test_psutil_cases(case: dict[str, Any]) -> None:
    mem = proc_meminfo.parse(case["input"])
    for key, value in (case.get("expected") or {}).items():
        if key.endswith("_kB"):
            assert mem.sizes_bytes[key.removesuffix("_kB")] == value * 1024
        elif key in _PSUTIL_KEYS:
            assert mem.sizes_bytes[_PSUTIL_KEYS[key]] == value
        else:  # psutil's cached = Cached + SReclaimable: sshmon keeps the kernel's fields
            assert mem.sizes_bytes["Cached"] + mem.sizes_bytes["SReclaimable"] == value


def test_synthetic_hugepages_with_a_unit_are_sizes() -> None:
    # psutil's synthetic input prints HugePages_* with kB; real kernels print counts
    [case] = inline_cases("psutil", "meminfo_all_keys")
    mem = proc_meminfo.parse(case.values[0]["input"])
    assert "HugePages_Total" in mem.sizes_bytes


def test_duplicate_key_last_wins() -> None:
    [case] = inline_cases("psutil", "meminfo_duplicate")
    mem = proc_meminfo.parse(case.values[0]["input"])
    assert mem.sizes_bytes["Inactive(file)"] == 1567648 * 1024


def test_negative_memavailable_is_kept_as_printed() -> None:
    mem = proc_meminfo.parse("MemTotal: 100 kB\nMemAvailable:   -1 kB\n")
    assert mem.available_bytes == -1024  # derive refuses it; the parser does not hide it


def test_empty_file_is_an_empty_reading() -> None:
    mem = proc_meminfo.parse("")
    assert mem.total_bytes is None and not mem.sizes_bytes and not mem.counts


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("MemTotal: lots kB\n", id="not-a-number"),
        pytest.param("MemTotal: 1 MB\n", id="unknown-unit"),
        pytest.param("MemTotal: 1 kB extra\n", id="extra-field"),
        pytest.param("MemTotal:\n", id="no-value"),
        pytest.param("MemTotal 1 kB\n", id="no-colon"),
    ],
)
def test_malformed_lines_raise(text: str) -> None:
    with pytest.raises(ParseError, match="meminfo"):
        proc_meminfo.parse(text)
