"""The per-host cap on services and containers keeps the biggest (poller/derive_cap.py)."""

from __future__ import annotations

from parsers.sys_fs_cgroup import Cgroups, CgroupStats
from poller.derive_cap import cap_cgroups, cap_devices


def _svc(name: str, cpu: float | None, memory: int | None = None) -> tuple[str, CgroupStats]:
    return name, CgroupStats("service", f"/system.slice/{name}", cpu, memory)


def test_under_the_cap_nothing_changes() -> None:
    reading = Cgroups(dict([_svc("a.service", 1.0), _svc("b.service", 2.0)]), 10.0)
    assert cap_cgroups(reading, 2) == (reading, "")
    capped = cap_devices({"cgroups": reading}, 2)
    assert capped.dropped == {}
    assert capped.readings["cgroups"] is reading


def test_half_by_cpu_the_rest_by_memory_in_the_targets_order() -> None:
    groups = dict(
        [
            _svc("idle.service", 0.1, 10),
            _svc("db.service", 0.5, 8_000_000_000),  # little CPU, most memory
            _svc("worker.service", 900.0, 20),
            _svc("cron.service", None, None),  # no cpu.stat, no memory.current
            _svc("web.service", 300.0, 30),
        ]
    )
    container = ("docker:0123456789ab", CgroupStats("container", "/docker/x", 0.0))
    reading = Cgroups({**groups, container[0]: container[1]}, 10.0)
    kept, reason = cap_cgroups(reading, 3)
    assert list(kept.groups) == ["db.service", "worker.service", "web.service", container[0]]
    assert kept.uptime_seconds == 10.0
    assert (
        reason == "2 of 5 services dropped over the cap of 3 each, the biggest kept (max_devices)"
    )


def test_the_drop_is_counted_for_the_poll_status() -> None:
    reading = Cgroups(dict(_svc(f"u{i}.service", float(i)) for i in range(10)), 1.0)
    capped = cap_devices({"cgroups": reading}, 4)
    kept = capped.readings["cgroups"]
    assert isinstance(kept, Cgroups)
    assert sorted(kept.groups) == ["u6.service", "u7.service", "u8.service", "u9.service"]
    assert capped.dropped == {"cgroups": 6}
    assert "6 of 10 services dropped" in capped.reasons["cgroups"]
