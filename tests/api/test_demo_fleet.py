"""The simulated hosts read like real ones: the real parsers take every answer without a
failure, and rates derived between two answers are plausible (never negative, cpu within
0-100 %, a filling disk fills). Time is stepped by hand; nothing here waits."""

from __future__ import annotations

from collections.abc import Mapping

from demo import fleet, render
from parsers.proc_uptime import Uptime
from poller.collectors.registry import parse_all
from poller.derive import Snapshot, derive
from poller.replay import sections_from_capture

START = 1000.0
EPOCH = 1_800_000_000.0
CAPTURE = render.Capture.load()


def _readings(host: fleet.Host, now: float, *, slow: bool = True) -> Mapping[str, object]:
    text = render.answer(CAPTURE, host.advance(now), "0123abcd", slow=slow).decode()
    parsed = parse_all(sections_from_capture(text))
    assert parsed.failures == {}
    return parsed.readings


def _points(host: fleet.Host, t0: float, t1: float) -> dict[tuple[str, str], float]:
    snaps = []
    for now in (t0, t1):
        readings = _readings(host, now)
        uptime = readings["uptime"]
        assert isinstance(uptime, Uptime)
        snaps.append(Snapshot(uptime.uptime_seconds, readings))
    return {(p.metric, p.dev): p.value for p in derive(host.name, snaps[0], snaps[1])}


def _host(role: fleet.Role) -> fleet.Host:
    return fleet.Host("h", role, seed=1, start=START, epoch=EPOCH)


def test_every_section_of_an_answer_parses() -> None:
    readings = _readings(_host(fleet.WEB), START + 5)
    assert {"stat", "meminfo", "net_dev", "diskstats", "df", "cpuinfo"} <= set(readings)


def test_rates_between_two_answers_are_plausible() -> None:
    points = _points(_host(fleet.WEB), START + 5, START + 10)
    assert 1 < points[("cpu_busy_percent", "")] < 100
    assert points[("cpu_count", "")] == fleet.WEB.cpus
    rx = points[("net_rx_bytes_per_second", "eth0")]
    assert 0 < rx <= fleet.WEB.net_bytes_s * 1.1
    assert all(v >= 0 for (metric, _), v in points.items() if metric.endswith("_per_second"))


def test_an_idle_database_is_quieter_than_a_web_server() -> None:
    web = _points(_host(fleet.WEB), START + 5, START + 10)
    db = _points(_host(fleet.DB), START + 5, START + 10)
    assert db[("cpu_busy_percent", "")] < web[("cpu_busy_percent", "")]


def test_the_files_host_fills_its_disk_then_cleans_up() -> None:
    host = _host(fleet.FILES)
    used = [_points(host, t, t + 5)[("fs_used_percent", "/")] for t in (START, START + 300)]
    assert used[1] > used[0] + 5
    # a full cycle later it was cleaned and is filling again: never past the cleanup mark
    later = [_points(host, t, t + 5)[("fs_used_percent", "/")] for t in range(1300, 4000, 300)]
    assert max(later) < 100 * fleet.FILES.cleanup_at / 0.95 + 1
    assert min(later) < used[1]


def test_the_edge_host_goes_down_and_comes_back_rebooted() -> None:
    host = _host(fleet.EDGE)
    every, down = fleet.EDGE.outage_every_s, fleet.EDGE.outage_s
    assert host.up(START + every - down - 1)
    assert not host.up(START + every - down + 1)
    before = host.advance(START + every - down - 1).uptime_s
    host.advance(START + every - 1)  # seen down
    after = host.advance(START + every + 1)
    assert after.uptime_s < 60 < before


def test_fleet_roles_give_a_small_demo_one_of_each_kind() -> None:
    assert fleet.names(fleet.roles(5)) == ["web-01", "db-01", "files-01", "edge-01", "worker-01"]
    assert len(set(fleet.names(fleet.roles(50)))) == 50


def test_a_demo_host_shows_link_state_temperatures_and_raid() -> None:
    """The demo's hardware files (demo/captures/sysfs-hardware.txt) come through the same
    frame splitting and parsers as a real probe's: one array rebuilding, cpu sensors
    that warm with the load."""
    web = _points(_host(fleet.WEB), START + 5, START + 10)
    db = _points(_host(fleet.DB), START + 5, START + 10)
    assert web[("net_oper_state", "eth0")] == 6  # IF_OPER_UP
    assert web[("net_speed_bytes_per_second", "eth0")] == 10_000 * 125_000
    assert ("net_speed_bytes_per_second", "lo") not in web  # EINVAL on lo: unknown
    assert web[("md_degraded", "md1")] == 1 and web[("md_degraded", "md0")] == 0
    assert 23 < web[("md_sync_percent", "md1")] < 24
    assert web[("temp_crit_celsius", "nvme/Composite")] == 84.85
    hot, cool = web[("temp_celsius", "coretemp/Core 0")], db[("temp_celsius", "coretemp/Core 0")]
    assert 38 <= cool < hot <= 83
