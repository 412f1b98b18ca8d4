from __future__ import annotations

import pytest
from peer_fixtures import PROC, capture_section

from parsers import proc_cpuinfo
from parsers.errors import ParseError


def test_full_procfs_cpuinfo() -> None:
    text = (PROC / "cpuinfo").read_text()
    info = proc_cpuinfo.parse(text)
    assert info.processors == text.count("\nprocessor\t:") + text.startswith("processor")
    assert info.model_name == "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"
    assert (info.sockets, info.cores) == (1, 4)


def test_grep_summary_from_the_probe() -> None:
    info = proc_cpuinfo.parse(capture_section("cpuinfo"))
    assert info == proc_cpuinfo.CpuInfo(2, "AMD EPYC", 1, 2)


def test_arm_board_without_topology() -> None:
    text = "processor\t: 0\nprocessor\t: 1\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4\n"
    info = proc_cpuinfo.parse(text)
    assert info == proc_cpuinfo.CpuInfo(2, "Raspberry Pi 4", None, None)


def test_empty_is_unknown_not_zero_cpus() -> None:
    assert proc_cpuinfo.parse("").processors is None


def test_bad_processor_number_raises() -> None:
    with pytest.raises(ParseError, match="cpuinfo"):
        proc_cpuinfo.parse("processor : zero\n")
