from __future__ import annotations

from typing import Any

import pytest
from peer_fixtures import PROC, capture_section, expected, inline_cases

from parsers import proc_stat
from parsers.errors import ParseError


def test_procfs_fixture_matches_every_expected_value() -> None:
    stat = proc_stat.parse((PROC / "stat").read_text())
    scalars = {
        "ctxt": stat.context_switches_total,
        "btime": stat.boot_time_seconds,
        "processes": stat.forks_total,
        "procs_running": stat.procs_running,
        "procs_blocked": stat.procs_blocked,
        "intr_total": stat.interrupts_total,
    }
    checked = 0
    for record in expected("stat", "proc/stat"):
        metric, labels = record["metric"], record["labels"]
        if metric == "cpu":
            times = stat.total if labels["cpu"] == "total" else stat.cpus[labels["cpu"]]
            # expected values are jiffies; readings are seconds at USER_HZ=100
            assert getattr(times, labels["mode"]) == pytest.approx(record["value"] / 100)
        elif metric in scalars:
            assert scalars[metric] == record["value"]
        else:
            continue  # per-irq and softirq vectors are not read
        checked += 1
    assert checked > 90


def test_total_line_is_the_sum_of_cpu_lines_on_a_real_capture() -> None:
    stat = proc_stat.parse(capture_section("stat"))
    assert stat.total is not None and len(stat.cpus) == 2
    for mode in proc_stat.CPU_MODES:
        per_cpu = sum(getattr(t, mode) for t in stat.cpus.values())
        assert getattr(stat.total, mode) == pytest.approx(per_cpu, abs=0.02 * len(stat.cpus))


def test_guest_is_kept_inside_user_not_subtracted() -> None:
    stat = proc_stat.parse("cpu  500 10 20 30 0 0 0 0 200 5\n")
    assert stat.total is not None
    assert (stat.total.user, stat.total.guest, stat.total.guest_nice) == (5.0, 2.0, 0.05)


@pytest.mark.parametrize(
    ("line", "missing"),
    [
        pytest.param("cpu 1 2 3 4\n", "iowait", id="linux-2.4-four-columns"),
        pytest.param("cpu 1 2 3 4 5 6 7\n", "steal", id="linux-2.6.0-seven-columns"),
        pytest.param("cpu 1 2 3 4 5 6 7 8\n", "guest", id="linux-2.6.11-eight-columns"),
        pytest.param("cpu 1 2 3 4 5 6 7 8 9\n", "guest_nice", id="linux-2.6.24-nine-columns"),
    ],
)
def test_columns_older_kernels_lack_are_none(line: str, missing: str) -> None:
    total = proc_stat.parse(line).total
    assert total is not None and getattr(total, missing) is None and total.user == 0.01


def test_missing_scalars_are_none_not_zero() -> None:
    stat = proc_stat.parse("cpu 1 2 3 4 5 6 7 8 9 10\n")
    assert stat.boot_time_seconds is None and stat.context_switches_total is None
    assert stat.cpus == {}


def test_64bit_counters_survive() -> None:
    stat = proc_stat.parse(f"ctxt {2**64 - 1}\nintr {2**64 - 1} 1 2\n")
    assert stat.context_switches_total == 2**64 - 1 == stat.interrupts_total


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("cpu 1 2 x 4 5\n", id="not-a-number"),
        pytest.param("cpu0 1 2 3 4 5 6 7 8 9 ٣x\n", id="bad-tenth-column"),
        pytest.param("cpu 1 2 3\n", id="too-few-columns"),
        pytest.param("cpuX 1 2 3 4 5\n", id="bad-cpu-name"),
        pytest.param("ctxt\n", id="no-value"),
        pytest.param("btime soon\n", id="bad-scalar"),
    ],
)
def test_malformed_lines_raise_parse_error_quoting_the_line(text: str) -> None:
    with pytest.raises(ParseError) as info:
        proc_stat.parse(text)
    assert repr(text.strip()[:20])[1:-1] in str(info.value)


@pytest.mark.parametrize("case", inline_cases("psutil", "stat_"))
def test_psutil_backwards_reads_both_parse(case: dict[str, Any]) -> None:
    first, second = case["input"]
    a, b = proc_stat.parse(first), proc_stat.parse(second)
    assert a.total is not None and b.total is not None
    assert (a.total.steal, b.total.steal) == (0.01, 0.0)


def test_softirq_line_matches_procfs_expected() -> None:
    stat = proc_stat.parse((PROC / "stat").read_text())
    assert stat.softirqs_total == expected("stat", "proc/stat", "softirq_total")[0]["value"]
    vectors = ("hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched",
               "hrtimer", "rcu")  # fmt: skip
    want = {r["labels"]["vector"]: r["value"] for r in expected("stat", "proc/stat", "softirq")}
    assert dict(zip(vectors, stat.softirq_vectors or (), strict=True)) == want


def test_no_softirq_line_is_none_not_zero() -> None:
    stat = proc_stat.parse("cpu  1 2 3 4\nctxt 5\n")
    assert stat.softirqs_total is None and stat.softirq_vectors is None


@pytest.mark.parametrize("line", ["softirq\n", "softirq 1 x\n", f"softirq 1 {2**64}\n"])
def test_malformed_softirq_line_raises(line: str) -> None:
    with pytest.raises(ParseError, match=r"softirq|range"):
        proc_stat.parse("cpu  1 2 3 4\n" + line)
