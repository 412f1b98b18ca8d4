"""hwmon chip names and sensor labels and thermal zone types, read at the slow round and
held until the next (`Source.held`), through a real HostPoller and the real probe run by
`dash`: every poll's temperatures carry them, from the first poll on, exactly as when
every file was read at every poll (replay of the whole tree).

This machine has no hwmon chip nor thermal zone: the probe's /sys/class/hwmon and
/sys/class/thermal paths are pointed at the fixture tree node_exporter was run on
(tests/fixtures/sysclass) on the way in, and its headers back on the way out; the rest of
the probe reads this machine."""

from __future__ import annotations

import re
import subprocess

from fake_clock import FakeClock
from peer_fixtures import FIXTURES
from tree_link import TreeLink

from parsers import sys_class_hwmon
from parsers.frame import join_files
from poller import probe
from poller.collectors import registry
from poller.derive import derive
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome, Snapshot
from poller.replay import sections_from_root

TREE = FIXTURES / "sysclass"
MOVED = ("/sys/class/hwmon/", "/sys/class/thermal/")
NAMES = re.compile(rb"==> /sys/class/(hwmon/hwmon\d+/(name|temp\d+_label)|thermal/\w+/type) <==")


def _temperatures(outcome: PollOutcome) -> dict[tuple[str, str], float]:
    metrics = {"temp_celsius", "thermal_zone_celsius"}
    return {(p.metric, p.dev): p.value for p in outcome.points if p.metric in metrics}


def _labelled(samples: list[registry.Sample]) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return {
        (s.name, s.labels)
        for s in samples
        if s.name.startswith(("node_hwmon_", "node_thermal_zone_"))
        and "crit" not in s.name
        and "max" not in s.name
    }


async def test_every_poll_s_temperatures_carry_the_names_read_at_the_slow_round() -> None:
    host = Host.model_validate(
        {"name": "tree", "address": "localhost", "transport": "local", "slow_every": 3}
    )
    poller = HostPoller(host, TreeLink(host, TREE, MOVED), FakeClock())
    outcomes = [await poller.poll(keep_raw=True) for _ in range(5)]
    assert [o.status.state for o in outcomes] == [HostState.OK] * 5
    # the same files read all at once, as `sshmon replay --root` does
    whole = registry.parse_all(sections_from_root(TREE)).readings
    expected = {
        (p.metric, p.dev): p.value
        for p in derive("tree", None, Snapshot(0.0, whole), registry.COLLECTORS)
        if p.metric in ("temp_celsius", "thermal_zone_celsius")
    }
    assert ("temp_celsius", "coretemp/Core 0") in expected  # a chip name, a sensor label
    assert ("temp_celsius", "hwmon4/temp1") in expected  # no name, two sensors one label
    assert any(m == "thermal_zone_celsius" and not d.startswith("zone/") for m, d in expected)
    for i, outcome in enumerate(outcomes):
        slow = i % 3 == 0
        raw = outcome.raw or b""
        # the names are read on the target only at slow rounds ...
        assert bool(NAMES.search(raw)) == slow, i
        assert (b"begin slow_read\n" in raw) == slow, i
        # ... and every poll's temperatures carry them, as the whole tree read at once
        assert _temperatures(outcome) == expected, i
        exported = _labelled(registry.samples(outcome.readings))
        assert exported == _labelled(registry.samples(whole)), i
        assert outcome.collectors["hwmon"].state == "ok", i
        assert outcome.collectors["thermal_zone"].state == "ok", i


def test_a_capture_whose_fast_read_held_the_names_still_splits() -> None:
    """Probes before 2026-12-01 read the names in the fast `head`, amid the temperatures:
    their recorded captures are cut as they were read (probe.split_output)."""
    old = [
        "hwmon/hwmon*/name",
        "hwmon/hwmon*/temp*_input",
        "hwmon/hwmon*/temp*_label",
        "thermal/thermal_zone*/type",
        "thermal/thermal_zone*/temp",
    ]
    globs = " ".join(f"{TREE}/sys/class/{g}" for g in old)
    read = subprocess.run(
        ["dash", "-c", f"head -n 2147483647 /proc/loadavg /dev/null {globs} /dev/null"],
        capture_output=True,
        check=False,
    ).stdout.decode()
    read = read.replace(f"==> {TREE}/", "==> /")
    nonce = "0123456789abcdef"
    capture = f"@@sshmon {nonce} begin fast\n{read}\n@@sshmon {nonce} end fast 0\n"
    sections = probe.split_output(capture + f"@@sshmon {nonce} done\n", nonce).sections
    assert {"loadavg", "hwmon", "hwmon_names", "thermal", "thermal_types"} <= set(sections)
    got = registry.parse_all(sections).readings
    whole = registry.parse_all(sections_from_root(TREE)).readings
    for section in ("thermal", "thermal_types"):
        assert got[section] == whole[section], section

    # the old probe read no chip's device (its sensors, its path): the files it did read
    def read(*patterns: str) -> sys_class_hwmon.Hwmon:
        found = (p for g in patterns for p in sorted(TREE.glob(f"sys/class/{g}")))
        return sys_class_hwmon.parse(
            join_files((f"/{p.relative_to(TREE)}", p.read_text()) for p in found)
        )

    for section, expected in (("hwmon_names", read(old[0], old[2])), ("hwmon", read(old[1]))):
        assert got[section] == expected, section
