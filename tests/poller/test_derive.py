from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers import cmd_df, cmd_systemctl_failed, proc_meminfo, proc_mounts, proc_stat, proc_uptime
from parsers.frame import Section
from parsers.proc_net_dev import NetDev
from poller.catalog import METRICS
from poller.collectors.registry import parse_all
from poller.derive import Snapshot, derive, for_rates, host_info
from poller.derive_cap import cap_devices
from poller.points import Point
from poller.replay import sections_from_capture, sections_from_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURES = sorted((FIXTURES / "local").glob("probe-*.txt"))


def _readings(path: Path) -> dict[str, object]:
    parsed = parse_all(sections_from_capture(path.read_text()))
    assert parsed.failures == {}
    return parsed.readings


def _snapshot(readings: Mapping[str, object]) -> Snapshot:
    # the target's own uptime as the clock: the real time between the two captures
    uptime = readings["uptime"]
    assert isinstance(uptime, proc_uptime.Uptime)
    return Snapshot(uptime.uptime_seconds, readings)


@pytest.fixture(scope="module")
def pair() -> tuple[Snapshot, Snapshot]:
    return _snapshot(_readings(CAPTURES[0])), _snapshot(_readings(CAPTURES[1]))


def _by(points: list[Point]) -> dict[tuple[str, str], float]:
    return {(p.metric, p.dev): p.value for p in points}


def _rate_names() -> set[str]:
    return {name for name, spec in METRICS.items() if spec.kind == "rate"}


def test_every_point_is_in_the_catalog_with_the_right_dev(pair: tuple[Snapshot, Snapshot]) -> None:
    points = derive("web-1", *pair)
    assert points and all(p.host == "web-1" and p.ts == pair[1].ts for p in points)
    for p in points:
        spec = METRICS[p.metric]
        assert (p.dev == "") is (spec.dev is None), p


def test_previous_kept_for_rates_gives_the_same_points(pair: tuple[Snapshot, Snapshot]) -> None:
    previous, current = pair
    slim = for_rates(previous.readings)
    assert slim.keys() == previous.readings.keys()
    # the text-backed readings lost their text (what a host holds for an interval) ...
    texts = [getattr(r, "text", None) for r in slim.values() if hasattr(r, "hot")]
    assert len(texts) == 4 and all(t == "" for t in texts)
    # ... and no rate needed it
    assert derive("web-1", Snapshot(previous.ts, slim), current) == derive(
        "web-1", previous, current
    )


def test_first_poll_has_gauges_but_no_rates(pair: tuple[Snapshot, Snapshot]) -> None:
    names = {p.metric for p in derive("h", None, pair[0])}
    assert {"load1", "mem_used_percent", "fs_used_percent", "uptime_seconds"} <= names
    assert not names & _rate_names() and "cpu_busy_percent" not in names


def test_rates_use_the_real_elapsed_time(pair: tuple[Snapshot, Snapshot]) -> None:
    before, after = pair
    s0, s1 = before.readings["stat"], after.readings["stat"]
    assert isinstance(s0, proc_stat.ProcStat) and isinstance(s1, proc_stat.ProcStat)
    assert s0.context_switches_total is not None and s1.context_switches_total is not None
    dt = after.ts - before.ts
    want = (s1.context_switches_total - s0.context_switches_total) / dt
    assert _by(derive("h", before, after))["context_switches_per_second", ""] == pytest.approx(want)


def test_cpu_shares_add_up_to_100(pair: tuple[Snapshot, Snapshot]) -> None:
    by = _by(derive("h", *pair))
    modes = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    assert sum(by[f"cpu_{m}_percent", ""] for m in modes) == pytest.approx(100)
    busy = 100 - by["cpu_idle_percent", ""] - by["cpu_iowait_percent", ""]
    assert by["cpu_busy_percent", ""] == pytest.approx(busy)
    assert by["cpu_busy_percent", ""] <= by["cpu_core_busy_max_percent", ""] <= 100


def test_no_rate_is_ever_negative_across_a_counter_reset(pair: tuple[Snapshot, Snapshot]) -> None:
    # every counter goes down while uptime goes up (as after a counter wrap or a reset
    # of one driver's statistics): those rates are skipped, unchanged ones are 0
    before, after = pair
    earlier = dict(after.readings, uptime=proc_uptime.Uptime(1.0, None))
    later = dict(before.readings, uptime=proc_uptime.Uptime(2.0, None))
    points = derive("h", Snapshot(0, earlier), Snapshot(1, later))
    by = _by(points)
    assert all(p.value >= 0 for p in points)
    assert ("context_switches_per_second", "") not in by and ("cpu_busy_percent", "") not in by
    assert by["net_rx_errors_per_second", "lo"] == 0  # 0 -> 0 is a rate of 0, not a gap


def test_reboot_between_polls_skips_every_rate(pair: tuple[Snapshot, Snapshot]) -> None:
    before, after = pair
    rebooted = dict(after.readings)
    rebooted["uptime"] = proc_uptime.Uptime(3.0, 1.0)
    names = {p.metric for p in derive("h", before, Snapshot(after.ts, rebooted))}
    assert "load1" in names and not names & _rate_names() and "cpu_busy_percent" not in names


@pytest.mark.parametrize(("shift", "has_rates"), [(1, True), (-2, True), (3, False), (-600, False)])
def test_boot_time_moving_means_reboot_beyond_jitter(
    pair: tuple[Snapshot, Snapshot], shift: int, has_rates: bool
) -> None:
    before, after = pair
    stat = after.readings["stat"]
    assert isinstance(stat, proc_stat.ProcStat) and stat.boot_time_seconds is not None
    moved = dict(
        after.readings, stat=replace(stat, boot_time_seconds=stat.boot_time_seconds + shift)
    )
    names = {p.metric for p in derive("h", before, Snapshot(after.ts, moved))}
    assert ("context_switches_per_second" in names) is has_rates


def test_target_uptime_is_the_clock_when_both_polls_have_it(
    pair: tuple[Snapshot, Snapshot],
) -> None:
    before, after = pair
    late = _by(derive("h", before, replace(after, ts=after.ts + 30)))  # a slow network, say
    assert late == _by(derive("h", before, after)) and ("forks_per_second", "") in late


@pytest.mark.parametrize("dt", [0.0, -5.0])
def test_no_rates_without_time_passing(pair: tuple[Snapshot, Snapshot], dt: float) -> None:
    # without /proc/uptime the snapshots' ts is the clock; a wall clock stepping back
    # or standing still allows no rate
    first, second = ({k: v for k, v in s.readings.items() if k != "uptime"} for s in pair)
    names = {p.metric for p in derive("h", Snapshot(100, first), Snapshot(100 + dt, second))}
    assert "load1" in names and not names & _rate_names()
    names = {p.metric for p in derive("h", Snapshot(100, first), Snapshot(102, second))}
    assert "context_switches_per_second" in names


def test_stat_going_backwards_psutil_case() -> None:
    # psutil test_cpu_steal_decrease: steal 1 -> 0 while user 0 -> 1
    first = proc_stat.parse("cpu 0 0 0 0 0 0 0 1 0 0\ncpu0 0 0 0 0 0 0 0 1 0 0\n")
    second = proc_stat.parse("cpu 1 0 0 0 0 0 0 0 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\n")
    by = _by(derive("h", Snapshot(0, {"stat": first}), Snapshot(1, {"stat": second})))
    assert ("cpu_steal_percent", "") not in by
    assert by["cpu_user_percent", ""] == by["cpu_busy_percent", ""] == 100
    assert all(v >= 0 for v in by.values())


def test_missing_memavailable_leaves_available_and_used_out() -> None:
    mem = proc_meminfo.parse((FIXTURES / "procfs/proc/meminfo").read_text())
    by = _by(derive("h", None, Snapshot(0, {"meminfo": mem})))
    assert by["mem_total_bytes", ""] == 16042172416 and ("mem_cached_bytes", "") in by
    assert ("mem_available_bytes", "") not in by and ("mem_used_percent", "") not in by


def test_negative_memavailable_is_not_a_measurement() -> None:
    mem = proc_meminfo.parse("MemTotal: 100 kB\nMemAvailable: -1 kB\n")
    names = {p.metric for p in derive("h", None, Snapshot(0, {"meminfo": mem}))}
    assert names == {"mem_total_bytes"}


def test_no_swap_has_no_swap_share(pair: tuple[Snapshot, Snapshot]) -> None:
    by = _by(derive("h", None, pair[0]))
    assert by["swap_total_bytes", ""] == 0 and by["swap_used_bytes", ""] == 0
    assert ("swap_used_percent", "") not in by


def test_filesystems_are_real_ones_only(pair: tuple[Snapshot, Snapshot]) -> None:
    devs = {p.dev for p in derive("h", None, pair[0]) if p.metric.startswith("fs_")}
    assert devs == {"/"}  # /dev, /dev/shm, /sys/fs/cgroup and a tmpfs are not stored
    by = _by(derive("h", None, pair[0]))
    assert 0 < by["fs_used_percent", "/"] < 100 and by["fs_inodes_total", "/"] > 0


def _df(rows: list[tuple[str, str]]) -> cmd_df.Df:
    return cmd_df.Df("bytes", tuple(cmd_df.DfRow(d, m, 1024, 512, 512) for d, m in rows))


def test_bind_mounts_of_one_device_count_once() -> None:
    df = _df([("/dev/sda1", "/srv/data"), ("/dev/sda1", "/"), ("/dev/sdb1", "/home")])
    mounts = proc_mounts.parse("/dev/sda1 / ext4 rw 0 0\n/dev/sda1 /srv/data ext4 rw 0 0\n"
                               "/dev/sdb1 /home xfs rw 0 0\n")  # fmt: skip
    devs = {p.dev for p in derive("h", None, Snapshot(0, {"df": df, "mounts": mounts}))}
    assert devs == {"/", "/home"}


def test_without_mounts_only_block_devices_and_network_shares_count() -> None:
    df = _df([("tmpfs", "/run"), ("/dev/sda1", "/"), ("nas:/export", "/mnt/nas"), ("none", "/x")])
    devs = {p.dev for p in derive("h", None, Snapshot(0, {"df": df}))}
    assert devs == {"/", "/mnt/nas"}


def test_disks_follow_node_exporters_default_device_filter() -> None:
    tree = parse_all(sections_from_root(FIXTURES / "procfs")).readings
    later = dict(tree)
    points = derive("h", Snapshot(0, tree), Snapshot(10, later))
    devs = {p.dev for p in points if p.metric.startswith("disk_")}
    assert "sda" in devs and "nvme0n1" in devs and "dm-0" in devs
    assert not any(re.match(r"^(ram|loop|sda\d|nvme0n1p)", d) for d in devs)
    by = _by(points)
    assert by["disk_read_bytes_per_second", "sda"] == 0  # same counters: zero, not absent
    assert ("disk_read_await_seconds", "sda") not in by  # no I/O completed: no mean time


def test_new_interface_gets_its_first_rate_next_poll(pair: tuple[Snapshot, Snapshot]) -> None:
    before, after = pair
    net = after.readings["net_dev"]
    assert isinstance(net, NetDev)
    counters = next(iter(net.interfaces.values()))
    grown = replace(net, interfaces={**net.interfaces, "eth0:1": counters})
    with_alias = dict(after.readings, net_dev=grown)
    points = derive("h", before, Snapshot(after.ts, with_alias))
    assert "eth0:1" not in {p.dev for p in points}
    later = dict(with_alias, uptime=proc_uptime.Uptime(after.ts + 1, None))
    points = derive("h", Snapshot(after.ts, with_alias), Snapshot(after.ts + 1, later))
    assert ("net_rx_bytes_per_second", "eth0:1") in _by(points)


def test_psi_shares_from_totals_and_no_cpu_full() -> None:
    tree = parse_all(sections_from_root(FIXTURES / "procfs")).readings
    by = _by(derive("h", Snapshot(0, tree), Snapshot(2, tree)))
    assert by["psi_cpu_some_avg10", ""] == 0.1 and by["psi_io_full_avg10", ""] == 0.2
    assert by["psi_io_some_percent", ""] == 0  # totals did not move
    assert not any(name.startswith("psi_cpu_full") for name, _ in by)


def test_missing_inputs_leave_points_out() -> None:
    assert derive("h", None, Snapshot(0, {})) == []
    assert derive("h", Snapshot(0, {}), Snapshot(1, {"loadavg": object()})) == []


def test_host_info_from_a_capture(pair: tuple[Snapshot, Snapshot]) -> None:
    info = host_info("web-1", 5.0, pair[0].readings)
    assert info is not None
    assert (info.os_name, info.arch, info.cpus, info.cpu_model) == (
        "Debian GNU/Linux 12 (bookworm)", "x86_64", 2, "AMD EPYC")  # fmt: skip
    assert info.kernel is not None and info.kernel.startswith("6.18")
    assert info.memory_bytes and info.boot_time and info.boot_time > 1.7e9
    assert host_info("web-1", 5.0, {}) is None
    assert info.failed_units is None  # no systemd answer in the capture: unknown, not none


def test_host_info_names_failed_units_and_tells_none_from_unknown() -> None:
    failed = cmd_systemctl_failed.parse("backup.service loaded failed failed Backup job\n")
    info = host_info("web-1", 5.0, {"systemd_failed": failed})
    assert info is not None and info.failed_units == ("backup.service",)
    none = host_info("web-1", 5.0, {"systemd_failed": cmd_systemctl_failed.parse("")})
    assert none is not None and none.failed_units == ()


_COUNTER = st.integers(0, 2**64 - 1)


@st.composite
def _poll(draw: st.DrawFn) -> dict[str, object]:
    cpu = " ".join(str(draw(st.integers(0, 2**40))) for _ in range(10))
    iface = " ".join(str(draw(_COUNTER)) for _ in range(16))
    disk = " ".join(str(draw(_COUNTER)) for _ in range(17))
    psi = f"some avg10=1 avg60=1 avg300=1 total={draw(_COUNTER)}\n"
    return parse_all({
        "stat": Section("stat", f"cpu {cpu}\ncpu0 {cpu}\nctxt {draw(_COUNTER)}\nbtime 100\n"),
        "net_dev": Section("net_dev", f"eth0: {iface}\n"),
        "diskstats": Section("diskstats", f"8 0 sda {disk}\n"),
        "pressure_io": Section("pressure_io", psi),
        "uptime": Section("uptime", f"{draw(st.floats(0, 1e9))} 0\n"),
    }).readings  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_poll(), _poll(), st.floats(0.001, 1e6))
def test_any_two_polls_give_finite_non_negative_points(
    first: dict[str, object], second: dict[str, object], dt: float
) -> None:
    for point in derive("h", Snapshot(0.0, first), Snapshot(dt, second)):
        assert math.isfinite(point.value) and point.value >= 0, point
        if METRICS[point.metric].unit == "percent":
            assert point.value <= 100 + 1e-9, point


def test_busiest_core_is_the_largest_per_core_busy_share() -> None:
    # core 1 went 90% busy (steal counts as busy); core 0's iowait went down (no share of
    # its own, adds 0 to its total); core 2 only appears in the second poll
    before = "cpu 0 0 0 0 0\ncpu0 100 0 0 900 50 0 0 0\ncpu1 100 0 0 900 0 0 0 0\n"
    after = "cpu 0 0 0 0 0\ncpu0 150 0 0 1850 40 0 0 0\ncpu1 500 0 0 940 0 0 0 500\n"
    after += "cpu2 9 9 9 9 9\n"
    snaps = [Snapshot(t, {"stat": proc_stat.parse(text)}) for t, text in ((0, before), (10, after))]
    by = _by(derive("h", *snaps))
    assert by["cpu_core_busy_max_percent", ""] == pytest.approx(900 * 100 / 940)


def test_every_core_gets_its_busy_share_as_cpu_n() -> None:
    before = "cpu 0 0 0 0 0\ncpu0 100 0 0 900 0 0 0 0\ncpu1 100 0 0 900 0 0 0 0\n"
    after = "cpu 0 0 0 0 0\ncpu0 150 0 0 1850 0 0 0 0\ncpu1 500 0 0 940 0 0 0 500\n"
    snaps = [Snapshot(t, {"stat": proc_stat.parse(text)}) for t, text in ((0, before), (10, after))]
    points = [p for p in derive("h", *snaps) if p.metric == "cpu_core_busy_percent"]
    assert {p.dev: p.value for p in points} == {
        "cpu0": pytest.approx(50 * 100 / 1000),
        "cpu1": pytest.approx(900 * 100 / 940),
    }


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # /proc/stat lists online cpus only: a core offline at either poll has no point
        ("cpu0 10 0 0 90\ncpu1 10 0 0 90\n", "cpu0 20 0 0 180\n", {"cpu0"}),
        ("cpu0 10 0 0 90\n", "cpu0 20 0 0 180\ncpu1 5 0 0 5\n", {"cpu0"}),
        # every counter of a core went down (hotplug, or a counter that wrapped): no time
        # passed that can be measured, so no point at all rather than 0 or a negative
        ("cpu0 500 0 0 900\ncpu1 10 0 0 90\n", "cpu0 20 0 0 180\ncpu1 20 0 0 180\n", {"cpu1"}),
    ],
    ids=["core-went-offline", "core-came-online", "core-counters-went-down"],
)
def test_a_core_without_two_comparable_readings_has_no_point(
    before: str, after: str, expected: set[str]
) -> None:
    snaps = [
        Snapshot(t, {"stat": proc_stat.parse("cpu 0 0 0 0\n" + text)})
        for t, text in ((0, before), (10, after))
    ]
    points = [p for p in derive("h", *snaps) if p.metric == "cpu_core_busy_percent"]
    assert {p.dev for p in points} == expected
    assert all(0 <= p.value <= 100 for p in points)


def test_idle_going_backwards_keeps_a_core_within_0_and_100() -> None:
    # idle read back lower after a cpu came back online (tick-sched's idle time against
    # kcpustat's, proc(5) "iowait ... can decrease"): its delta counts 0, busy stays <= 100
    before = "cpu 0 0 0 0\ncpu0 100 0 0 900 40\n"
    after = "cpu 0 0 0 0\ncpu0 200 0 0 100 10\n"
    snaps = [Snapshot(t, {"stat": proc_stat.parse(text)}) for t, text in ((0, before), (10, after))]
    by = _by(derive("h", *snaps))
    assert by["cpu_core_busy_percent", "cpu0"] == 100.0
    assert by["cpu_core_busy_max_percent", ""] == 100.0


def test_per_core_points_follow_the_device_cap() -> None:
    # a 384-cpu box: the per-host cap (max_devices) bounds its per-core series too
    def stat(busy: int) -> str:
        return "cpu 0 0 0 0\n" + "".join(f"cpu{i} {busy} 0 0 {3 * busy}\n" for i in range(384))

    snaps = [
        Snapshot(t, cap_devices({"stat": proc_stat.parse(stat(busy))}, 256).readings)
        for t, busy in ((0, 100), (10, 300))
    ]
    devs = [p.dev for p in derive("h", *snaps) if p.metric == "cpu_core_busy_percent"]
    assert devs == [f"cpu{i}" for i in range(256)]
