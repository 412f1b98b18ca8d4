"""The collector registry: each section declared once, each metric owned by one collector,
every declared section really produced by the probe, and exclusions honoured."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from captured import ADDED_AFTER_CAPTURE
from fake_clock import FakeClock

from parsers.frame import Section
from poller import probe
from poller.catalog import METRICS, owner
from poller.collectors import registry
from poller.collectors.base import Source
from poller.collectors.status import CollectorState, status_plans, statuses
from poller.derive import Snapshot, derive
from poller.inventory import Host
from poller.poll import HostPoller
from poller.replay import sections_from_capture, sections_from_root
from poller.transport import LocalLink

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURES = sorted((FIXTURES / "local").glob("probe-*.txt"))


def test_names_are_unique_and_sections_shared_only_as_the_same_source() -> None:
    assert len(registry.NAMES) == len(set(registry.NAMES))
    seen: dict[str, Source] = {}
    for c in registry.COLLECTORS:
        for s in c.sources:
            assert seen.setdefault(s.section, s) is s, f"{s.section} declared twice differently"
            assert (s.path, s.command, s.globs or None).count(None) == 2, s.section


def test_every_catalog_metric_has_exactly_one_collector() -> None:
    names = [m.name for c in registry.COLLECTORS for m in c.metrics]
    assert len(names) == len(set(names))
    assert set(names) == set(METRICS)


def _readings(path: Path) -> dict[str, object]:
    """A capture's readings, plus the /sys families the captured VM has none of (hwmon,
    md, bonds) from the fixture tree node_exporter was run on (tests/fixtures/sysclass)."""
    parsed = registry.parse_all(sections_from_capture(path.read_text()))
    tree = registry.parse_all(sections_from_root(FIXTURES / "sysclass"))
    assert parsed.failures == {} and tree.failures == {}
    return {**tree.readings, **parsed.readings}


@pytest.mark.parametrize("collector", registry.COLLECTORS, ids=registry.NAMES)
def test_a_collector_emits_only_its_own_metrics(collector: registry.Collector) -> None:
    first, second = (_readings(p) for p in CAPTURES[:2])
    up0, up1 = (r["uptime"].uptime_seconds for r in (first, second))  # type: ignore[attr-defined]
    points = derive("h", Snapshot(up0, first), Snapshot(up1, second), (collector,))
    assert {owner(p.metric) for p in points} <= {collector.name}
    captured = not set(collector.sections) <= ADDED_AFTER_CAPTURE
    if collector.metrics and collector.name != "pressure" and captured:  # the VM has PSI
        assert points, f"{collector.name} derived nothing from a full capture"


async def _probe_here(host: Host) -> dict[str, str]:
    link = LocalLink(host)
    nonce = probe.new_nonce()
    try:
        raw = await link.poll(nonce, slow=True)
    finally:
        await link.close()
    plan = probe.plan_for(host)
    frames = probe.split_output(raw.output.decode(), nonce, plan)
    assert frames.complete
    return {name: s.text for name, s in frames.sections.items()}


async def test_every_declared_section_appears_in_a_real_probe_run() -> None:
    """A misspelt path or section name must fail here, not silently yield no metric."""
    found = await _probe_here(Host(name="here", address="localhost", transport="local"))
    for c in registry.COLLECTORS:
        for s in c.sources:
            if s.optional:
                continue
            assert s.section in found, f"collector {c.name}: section {s.section} never came"
            assert found[s.section].strip(), f"collector {c.name}: section {s.section} is empty"
    parsed = registry.parse_all({n: Section(n, t, 0) for n, t in found.items()})
    assert parsed.failures == {}


async def test_an_excluded_collectors_files_are_not_read_on_the_target() -> None:
    names = tuple(n for n in registry.NAMES if n not in ("pressure", "filesystem"))
    host = Host(name="here", address="localhost", transport="local", collectors=names)
    text = probe.definitions(10, probe.plan_for(host))
    assert "/proc/pressure" not in text and "df -kP" not in text and "/proc/mounts" not in text
    found = await _probe_here(host)
    assert not {"pressure_cpu", "df", "df_inodes", "mounts"} & set(found)
    assert "meminfo" in found


async def test_a_poll_reports_every_collector() -> None:
    host = Host(name="here", address="localhost", transport="local")
    poller = HostPoller(host, LocalLink(host), FakeClock(), random.Random(1))
    try:
        outcome = await poller.poll()
    finally:
        await poller.close()
    states = {name: s.state for name, s in outcome.collectors.items()}
    assert set(states) == set(registry.NAMES)
    # PSI may be off; this machine's cgroup2 tree may hold no service, and systemd is not
    # PID 1 here: all are unavailable, never failed
    optional = {"pressure", "cgroups"} | {
        c.name for c in registry.COLLECTORS if all(s.optional for s in c.sources)
    }
    assert all(states[n] is CollectorState.OK for n in states if n not in optional), states


def test_statuses_tell_unavailable_from_failed() -> None:
    plans = status_plans(registry.COLLECTORS)
    measured = {"loadavg": object(), "stat": object()}
    out = statuses(plans, False, measured, {"meminfo": "bad line 'x'"}, {"cpu": "boom"})
    assert out["loadavg"].state is CollectorState.OK
    assert out["meminfo"].state is CollectorState.FAILED and "bad line" in out["meminfo"].reason
    assert out["cpu"].state is CollectorState.FAILED and "boom" in out["cpu"].reason
    assert out["pressure"].state is CollectorState.UNAVAILABLE
    assert "/proc/pressure/cpu" in out["pressure"].reason
    assert "filesystem" not in out  # slow only: not run on a fast poll
