"""Hostile targets through a real HostPoller: too many devices, numbers too large.

The target is this machine's real probe output (a local `sh`), edited on its way back the
way a hostile or broken host could print it.
"""

from __future__ import annotations

from collections.abc import Callable

from fake_clock import FakeClock

from parsers import proc_net_arp, proc_net_softnet_stat
from parsers.cmd_df import Df, DfRow
from parsers.proc_net_arp import Arp
from parsers.proc_net_dev import NetDev, NetDevCounters
from parsers.proc_net_softnet_stat import Softnet
from parsers.sys_class_net import NetClass
from poller.derive_cap import cap_devices
from poller.health import PollHealth
from poller.inventory import Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.transport import LocalLink, RawPoll

HEADER = " face |bytes"
HUGE = "9" * 400


class _EditingLink:
    """A real local link whose output passes through `edit` on its way back."""

    def __init__(self, host: Host, edit: Callable[[str], str]) -> None:
        self.inner = LocalLink(host)
        self.edit = edit
        self.mode = self.inner.mode

    @property
    def connected(self) -> bool:
        return self.inner.connected

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        raw = await self.inner.poll(nonce, slow=slow, rare=rare)
        edited = self.edit(raw.output.decode()).encode()
        return RawPoll(edited, raw.mode, raw.reconnected, raw.connect_s)

    async def close(self) -> None:
        await self.inner.close()


def _many_interfaces(n: int) -> Callable[[str], str]:
    lines = "".join(f"  veth{i}: {' '.join(['1'] * 16)}\n" for i in range(n))

    def edit(text: str) -> str:
        at = text.index("\n", text.index(HEADER)) + 1  # after net/dev's second header line
        return text[:at] + lines + text[at:]

    return edit


def _huge_memtotal(text: str) -> str:
    start = text.index("MemTotal:")
    end = text.index("\n", start)
    return text[:start] + f"MemTotal: {HUGE} kB" + text[end:]


async def _poll(edit: Callable[[str], str], **settings: object) -> PollOutcome:
    host = Host.model_validate(
        {"name": "hostile", "address": "localhost", "transport": "local", **settings}
    )
    poller = HostPoller(host, _EditingLink(host, edit), FakeClock())
    try:
        return await poller.poll()
    finally:
        await poller.close()


async def test_3000_interfaces_are_capped_at_256_and_the_drop_is_reported() -> None:
    outcome = await _poll(_many_interfaces(3000))
    net = outcome.readings["net_dev"]
    assert isinstance(net, NetDev)
    assert len(net.interfaces) == 256
    assert outcome.status.state is HostState.OK
    dropped = outcome.dropped["net_dev"]
    assert dropped >= 3000 - 256  # printed first, so the machine's own are dropped too
    assert f"net_dev: {dropped} of {dropped + 256} interfaces dropped" in outcome.status.reason
    # and counted for /metrics
    health = PollHealth()
    health.observe(outcome.status, outcome.dropped)
    assert health.dropped == {("hostile", "net_dev"): dropped}
    # points follow the capped readings: rx/tx per interface for at most 256 devices
    devs = {p.dev for p in outcome.points if p.metric.startswith("net_")}
    assert len(devs) <= 256


async def test_the_cap_is_a_host_setting() -> None:
    outcome = await _poll(_many_interfaces(40), max_devices=10)
    net = outcome.readings["net_dev"]
    assert isinstance(net, NetDev) and len(net.interfaces) == 10
    assert outcome.dropped["net_dev"] >= 30


async def test_a_huge_meminfo_value_fails_that_section_and_the_poll_lands() -> None:
    outcome = await _poll(_huge_memtotal)
    assert outcome.status.state is HostState.OK
    assert "meminfo" in outcome.status.failed_sections
    assert "out of range" in outcome.failures["meminfo"]
    assert "meminfo" not in outcome.readings
    assert "loadavg" in outcome.readings and "net_dev" in outcome.readings


def test_cap_keeps_the_first_devices_in_the_targets_order() -> None:
    counters = NetDevCounters._make([0] * 16)
    net = NetDev({f"if{i}": counters for i in range(5)})
    rows = tuple(DfRow(f"/dev/x{i}", f"/m{i}", 1, 1, 0) for i in range(3))
    capped = cap_devices({"net_dev": net, "df": Df("bytes", rows), "loadavg": 1}, 2)
    kept = capped.readings["net_dev"]
    assert isinstance(kept, NetDev) and list(kept.interfaces) == ["if0", "if1"]
    df = capped.readings["df"]
    assert isinstance(df, Df) and [r.mountpoint for r in df.rows] == ["/m0", "/m1"]
    assert capped.dropped == {"net_dev": 3, "df": 1}
    assert capped.readings["loadavg"] == 1  # not a device family: untouched


def test_nothing_over_the_cap_changes_nothing() -> None:
    counters = NetDevCounters._make([0] * 16)
    readings = {"net_dev": NetDev({"lo": counters})}
    capped = cap_devices(readings, 256)
    assert capped.readings == readings and capped.dropped == {} and capped.reasons == {}


def test_cap_trims_arp_devices_and_softnet_cpus_but_not_the_arp_total() -> None:
    rows = "".join(f"10.0.0.{i} 0x1 0x2 aa:bb:cc:dd:ee:ff * veth{i}\n" for i in range(5))
    table = proc_net_arp.parse("IP address HW type Flags HW address Mask Device\n" + rows)
    softnet = proc_net_softnet_stat.parse("00000001 00000000 00000000 0 0 0 0 0 0\n" * 3)
    capped = cap_devices({"net_arp": table, "softnet_stat": softnet}, 2)
    arp = capped.readings["net_arp"]
    assert isinstance(arp, Arp) and list(arp.devices) == ["veth0", "veth1"] and arp.entries == 5
    cpus = capped.readings["softnet_stat"]
    assert isinstance(cpus, Softnet) and list(cpus.cpus) == ["0", "1"]
    assert capped.dropped == {"net_arp": 3, "softnet_stat": 1}


async def test_a_host_with_many_interfaces_keeps_max_devices_link_states() -> None:
    """The glob families are capped like /proc/net/dev: a real local poll, its netclass
    files multiplied to 300 made-up interfaces on the way back."""

    def many(text: str) -> str:
        head = "==> /sys/class/net/lo/operstate <==\n"
        fake = "".join(f"==> /sys/class/net/veth{i:03d}/operstate <==\nup\n\n" for i in range(300))
        return text.replace(head, fake + head, 1)

    outcome = await _poll(many, max_devices=16)
    net = outcome.readings["net_class"]
    assert isinstance(net, NetClass) and len(net.interfaces) == 16
    assert outcome.dropped["net_class"] > 280
