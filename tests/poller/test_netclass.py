"""netclass through a real HostPoller and the real probe run by `dash`, /sys/class/net
pointed at a copy of the fixture tree node_exporter was run on (tests/fixtures/sysclass):
carrier changes counted from one slow round to the next (`Source.carried`), and the
interfaces' identifiers read every 5th slow round only, yet on /metrics at every poll."""

from __future__ import annotations

import shutil
from pathlib import Path

from fake_clock import FakeClock
from tree_link import TreeLink

from parsers.sys_class_net import IDS, NetClass, NetLink
from poller.collectors import netclass, registry
from poller.derive import Snapshot, derive
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.replay import sections_from_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# the target's clock too: rates are over its uptime, which must move 10 s between polls
# whatever this machine's speed
MOVED = ("/sys/class/net/", "/proc/uptime")


def _changes(outcome: PollOutcome) -> dict[str, float]:
    return {p.dev: p.value for p in outcome.points if p.metric == "net_carrier_changes"}


def _ids(samples: list[registry.Sample]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    names = {f"node_network_{n}" for n in ("flags", "iface_id", "protocol_type", "device_id")}
    return {(s.name, s.labels): s.value for s in samples if s.name in names}


async def test_flaps_are_counted_per_slow_round_and_identifiers_stay_on_metrics(
    tmp_path: Path,
) -> None:
    shutil.copytree(FIXTURES / "sysclass/sys/class/net", tmp_path / "sys/class/net", symlinks=True)
    uptime = tmp_path / "proc/uptime"
    uptime.parent.mkdir()
    host = Host.model_validate(
        {"name": "tree", "address": "localhost", "transport": "local", "slow_every": 2}
    )
    poller = HostPoller(host, TreeLink(host, tmp_path, MOVED), FakeClock())
    whole = _ids(
        registry.samples(registry.parse_all(sections_from_root(FIXTURES / "sysclass")).readings)
    )
    assert whole[("node_network_protocol_type", (("device", "lo"),))] == 772
    assert whole[("node_network_flags", (("device", "eth0"),))] == 0x1303
    outcomes = []
    for i in range(5):
        uptime.write_text(f"{1000 + 10 * i}.00 1800.00\n")
        if i == 2:  # eth5 flaps twice (down, up, down, up) before the second slow round
            (tmp_path / "sys/class/net/eth5/carrier_changes").write_text("10\n")
        outcomes.append(await poller.poll(keep_raw=True))
    assert [o.status.state for o in outcomes] == [HostState.OK] * 5
    # the first slow round has no previous one to count from; fast polls count nothing
    assert [bool(_changes(o)) for o in outcomes] == [False, False, True, False, True]
    assert _changes(outcomes[2])["eth5"] == 4 and _changes(outcomes[2])["eth4"] == 0
    assert set(_changes(outcomes[4]).values()) == {0}
    for i, outcome in enumerate(outcomes):
        raw = outcome.raw or b""
        # the identifiers are read on the target at the first poll only (every 5th slow
        # round: the next is the 5th slow round from it) ...
        assert (b"/sys/class/net/eth0/flags <==" in raw) == (i == 0), i
        assert (b"/sys/class/net/eth0/carrier_changes <==" in raw) == (i % 2 == 0), i
        # ... and /metrics shows their last reading at every poll
        assert _ids(registry.samples(outcome.readings)) == whole, i
        assert outcome.collectors["netclass"].state == "ok", i


def _net_link(**changes: int | None) -> dict[str, object]:
    return {
        "net_link": NetClass({dev: NetLink(carrier_changes_total=n) for dev, n in changes.items()})
    }


def test_carrier_changes_need_both_rounds_and_a_counter_that_went_forward() -> None:
    points = derive(
        "h",
        Snapshot(0, _net_link(eth0=2, eth1=7, veth0=None, gone=1)),
        Snapshot(120, _net_link(eth0=5, eth1=1, veth0=3, new=4)),
        (netclass.COLLECTOR,),
    )
    # eth1 went back (deleted and made again), veth0's file was unreadable before, `new`
    # has no previous round
    assert {(p.dev, p.value) for p in points if p.metric == "net_carrier_changes"} == {("eth0", 3)}


def test_an_interface_gone_from_the_every_poll_reading_leaves_metrics_at_once() -> None:
    """The identifiers are read every 5th slow round; an interface deleted since (a
    container's veth) must not stay on /metrics with them until then."""
    at = IDS.index("ifindex")
    ids = NetClass(
        {
            "eth0": NetLink(ids=tuple(2 if k == at else None for k in range(len(IDS)))),
            "veth0": NetLink(ids=tuple(9 if k == at else None for k in range(len(IDS)))),
        }
    )
    readings = {"net_class": NetClass({"eth0": NetLink("up", 1)}), "net_ids": ids}
    shown = {(s.name, s.labels) for s in netclass.samples(readings)}
    assert ("node_network_iface_id", (("device", "eth0"),)) in shown
    assert not [s for s in shown if ("device", "veth0") in s[1]]
