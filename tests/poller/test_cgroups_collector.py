"""The cgroups collector: points from two slow rounds, the probe's globs, the cAdvisor-named
exposition, and `replay --root` of the real cgroup tree (tests/fixtures/cgroup)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.frame import Section
from parsers.sys_fs_cgroup import Cgroups, CgroupStats, parse, parse_files
from poller.collectors import cgroups
from poller.collectors.registry import parse_all, samples
from poller.collectors.status import CollectorState, status_plans, statuses
from poller.derive import Snapshot, derive
from poller.replay import sections_from_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cgroup"
TREE = FIXTURES / "hybrid"
UNIT = "/sys/fs/cgroup/system.slice/app.service"


def _points(before: Cgroups, after: Cgroups) -> dict[tuple[str, str], float]:
    got = derive("h", Snapshot(0.0, {"cgroups": before}), Snapshot(120.0, {"cgroups": after}),
                 (cgroups.COLLECTOR,))  # fmt: skip
    return {(p.metric, p.dev): p.value for p in got}


def _round(uptime: float, usec: int, memory: int, rbytes: int, wbytes: int) -> Cgroups:
    return parse_files(
        [
            ("/proc/uptime", f"{uptime} 1.0\n"),
            (f"{UNIT}/cpu.stat", f"usage_usec {usec}\n"),
            (f"{UNIT}/memory.current", f"{memory}\n"),
            (f"{UNIT}/io.stat", f"8:0 rbytes={rbytes} wbytes={wbytes} rios=1 wios=1\n"),
        ]
    )


def test_rates_are_over_the_readings_own_uptime_not_the_poll_interval() -> None:
    # 240 s of target uptime between the rounds, though the snapshots say 120 s
    before = _round(1000.0, 10_000_000, 4096, 0, 0)
    after = _round(1240.0, 130_000_000, 8192, 240 * 1024, 480 * 1024)
    assert _points(before, after) == {
        ("service_memory_bytes", "app.service"): 8192.0,
        ("service_cpu_percent", "app.service"): 50.0,  # 120 CPU s in 240 s
        ("service_io_read_bytes_per_second", "app.service"): 1024.0,
        ("service_io_write_bytes_per_second", "app.service"): 2048.0,
    }


@pytest.mark.parametrize(
    ("before", "why"),
    [
        (_round(1240.0, 10_000_000, 1, 0, 0), "the same instant: no interval"),
        (_round(5000.0, 10_000_000, 1, 0, 0), "uptime went back: a reboot in between"),
    ],
    ids=["same-uptime", "reboot"],
)
def test_no_rate_without_a_forward_interval(before: Cgroups, why: str) -> None:
    after = _round(1240.0, 130_000_000, 8192, 0, 0)
    assert set(_points(before, after)) == {("service_memory_bytes", "app.service")}, why


def test_a_restarted_unit_whose_counters_went_down_has_no_rate_that_round() -> None:
    before = _round(1000.0, 900_000_000, 1, 5000, 5000)
    after = _round(1120.0, 1_000_000, 1, 10, 10)
    assert set(_points(before, after)) == {("service_memory_bytes", "app.service")}


def test_absent_files_make_no_points() -> None:
    hybrid = parse_files([("/proc/uptime", "1.0 1.0\n"), (f"{UNIT}/cpu.stat", "usage_usec 5\n")])
    later = parse_files([("/proc/uptime", "2.0 1.0\n"), (f"{UNIT}/cpu.stat", "usage_usec 9\n")])
    assert set(_points(hybrid, later)) == {("service_cpu_percent", "app.service")}


def test_the_real_tree_and_the_real_tail_a_moment_later() -> None:
    """The tree's files were copied 0.06 s before the tail ran, after the busy loops ended:
    every cgroup's CPU rate is a real 0, and the container and services are told apart."""
    tree = parse_files(
        ("/" + str(p.relative_to(TREE)), p.read_text())
        for p in sorted(TREE.rglob("*"))
        if p.is_file()
    )
    tail = parse((FIXTURES / "tail-hybrid.txt").read_text())
    assert tail is not None
    assert tail.uptime_seconds is not None and tree.uptime_seconds is not None
    assert round(tail.uptime_seconds - tree.uptime_seconds, 2) == 0.06
    assert _points(tree, tail) == {
        ("service_cpu_percent", "sshmon-capture.service"): 0.0,
        ("service_cpu_percent", "run-u4242.scope"): 0.0,
        ("container_cpu_percent", "docker:7e5e32073c1a"): 0.0,
        ("container_cpu_percent", "podman:82659137dd9d"): 0.0,
    }


def test_the_probe_reads_both_roots_and_the_uptime_first() -> None:
    assert cgroups.GLOBS[0] == "/proc/uptime"
    assert "/sys/fs/cgroup/system.slice/*.service/cpu.stat" in cgroups.GLOBS
    assert "/sys/fs/cgroup/unified/system.slice/*.scope/io.stat" in cgroups.GLOBS
    assert cgroups.CGROUPS.slow and cgroups.CGROUPS.carried


def test_exposition_uses_cadvisor_names_and_the_cgroup_path_as_id() -> None:
    reading = Cgroups(
        {
            "ssh.service": CgroupStats("service", "/system.slice/ssh.service", 1.5, 4096),
            "docker:0123456789ab": CgroupStats("container", "/docker/0123", 2.0, None, 7, 9),
        }
    )
    got = {(s.name, s.labels): (s.value, s.type) for s in samples({"cgroups": reading})}
    svc = (("id", "/system.slice/ssh.service"), ("name", ""))
    ctr = (("id", "/docker/0123"), ("name", "docker:0123456789ab"))
    assert got == {
        ("container_cpu_usage_seconds_total", svc): (1.5, "counter"),
        ("container_memory_usage_bytes", svc): (4096.0, "gauge"),
        ("container_cpu_usage_seconds_total", ctr): (2.0, "counter"),
        ("container_fs_reads_bytes_total", ctr): (7.0, "counter"),
        ("container_fs_writes_bytes_total", ctr): (9.0, "counter"),
    }


def test_replay_root_shows_the_cgroup_families_of_the_real_tree() -> None:
    parsed = parse_all(sections_from_root(TREE))
    assert parsed.failures == {}
    got = {(s.name, dict(s.labels)["id"]): s.value for s in samples(parsed.readings)}
    assert got == {
        ("container_cpu_usage_seconds_total", "/system.slice/sshmon-capture.service"): 0.330782,
        ("container_cpu_usage_seconds_total", "/system.slice/run-u4242.scope"): 0.032872,
        (
            "container_cpu_usage_seconds_total",
            "/system.slice/docker-7e5e32073c1a77906c23e538c33dc06a13c9613b52a81c2eb50d79c755065c6a.scope",
        ): 0.080183,
        (
            "container_cpu_usage_seconds_total",
            "/machine.slice/libpod-82659137dd9d83aa4428ab07f86d60a7f7970c95dad5152eed9b6924394fe60d.scope",
        ): 0.03755,
    }


def test_a_host_without_cgroup_files_has_the_collector_unavailable() -> None:
    """Only the uptime that rides along came back (no cgroup2 tree, or nothing on it):
    no reading, so no points and the collector is unavailable, not `ok` with nothing."""
    text = "==> /proc/uptime <==\n587.71 980.55\n"
    assert parse(text) is None
    parsed = parse_all({"cgroups": Section("cgroups", text, 1)})
    assert parsed.readings == {} and parsed.failures == {}
    plans = status_plans((cgroups.COLLECTOR,))
    state = statuses(plans, True, parsed.readings, {}, {})["cgroups"]
    assert state.state is CollectorState.UNAVAILABLE
    # the cgroup files are what is missing, not the uptime read beside them
    assert state.reason.startswith("not on the target: /sys/fs/cgroup/")
    assert "/proc/uptime" not in state.reason
    assert state.reason.endswith(f"(and {len(cgroups.GLOBS) - 1 - 3} more)")
