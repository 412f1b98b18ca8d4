"""Issue 12's stored metrics from single /proc files: what each derives, and that an absent
file (or page size) gives no point, never a 0."""

from __future__ import annotations

from parsers import (
    cmd_getconf_pagesize,
    proc_net_arp,
    proc_net_sockstat,
    proc_net_softnet_stat,
    proc_net_stat_nf_conntrack,
    proc_sys_value,
    proc_uptime,
)
from poller.collectors import arp, conntrack, entropy, sockstat, softnet
from poller.derive import Snapshot, derive

SOCKSTAT = "sockets: used 20\nTCP: inuse 5 orphan 0 tw 2 alloc 6 mem 211\nUDP: inuse 1 mem 3\n"


def _softnet(rows: list[tuple[int, int, int]]) -> object:
    lines = [f"{p:08x} {d:08x} {s:08x}" + " 00000000" * 6 for p, d, s in rows]
    return proc_net_softnet_stat.parse("\n".join(lines) + "\n")


def _values(readings: dict[str, object], *collectors: object, before: dict[str, object] | None
            = None) -> dict[str, float]:  # fmt: skip
    cur = {"uptime": proc_uptime.parse("110.00 0.00\n"), **readings}
    prev = None
    if before is not None:
        prev = Snapshot(0, {"uptime": proc_uptime.parse("100.00 0.00\n"), **before})
    points = derive("h", prev, Snapshot(10, cur), collectors)  # type: ignore[arg-type]
    return {p.metric: p.value for p in points}


def test_tcp_socket_memory_is_pages_times_the_targets_page_size() -> None:
    sock = proc_net_sockstat.parse(SOCKSTAT)
    arm64 = cmd_getconf_pagesize.parse("65536\n")
    values = _values({"net_sockstat": sock, "pagesize": arm64}, sockstat.COLLECTOR)
    assert values["tcp_mem_bytes"] == 211 * 65536


def test_no_page_size_no_socket_memory_bytes() -> None:
    values = _values({"net_sockstat": proc_net_sockstat.parse(SOCKSTAT)}, sockstat.COLLECTOR)
    assert "tcp_mem_bytes" not in values and values["tcp_time_wait"] == 2


def test_conntrack_use_and_share_of_the_limit() -> None:
    count = proc_sys_value.parse("52428\n", "count")
    limit = proc_sys_value.parse("262144\n", "max")
    values = _values({"nf_conntrack_count": count, "nf_conntrack_max": limit},
                     conntrack.COLLECTOR)  # fmt: skip
    assert values == {
        "conntrack_entries": 52428,
        "conntrack_limit": 262144,
        "conntrack_used_percent": 52428 * 100 / 262144,
    }


def _ct_stat(rows: list[tuple[int, int, int]], restart: bool = True) -> object:
    """insert_failed, drop, early_drop per cpu, in the kernel's layout (Linux 6.x header)."""
    names = "entries clashres found new invalid ignore delete chainlength insert insert_failed "
    names += "drop early_drop icmp_error expect_new expect_create expect_delete"
    head = names + (" search_restart" if restart else "")
    tail = " 00000000" * (5 if restart else 4)
    lines = [" 00000000" * 9 + f" {f:08x} {d:08x} {e:08x}" + tail for f, d, e in rows]
    return proc_net_stat_nf_conntrack.parse("\n".join([head, *(x[1:] for x in lines)]) + "\n")


def test_conntrack_drop_rates_sum_the_cpus() -> None:
    before = {"nf_conntrack_stat": _ct_stat([(1, 10, 0), (0, 5, 2)])}
    after = {"nf_conntrack_stat": _ct_stat([(4, 30, 0), (0, 25, 12)])}
    values = _values(after, conntrack.COLLECTOR, before=before)
    assert values == {
        "conntrack_insert_failed_per_second": 3 / 10,
        "conntrack_drops_per_second": (20 + 20) / 10,
        "conntrack_early_drops_per_second": 10 / 10,
    }


def test_a_wrapped_or_reset_conntrack_counter_gives_no_rate() -> None:
    before = {"nf_conntrack_stat": _ct_stat([(5, 0xFFFFFFF0, 0)])}
    after = {"nf_conntrack_stat": _ct_stat([(6, 0x10, 0)])}
    values = _values(after, conntrack.COLLECTOR, before=before)
    assert "conntrack_drops_per_second" not in values  # unknown, not a huge or negative rate
    assert values["conntrack_insert_failed_per_second"] == 0.1
    # a kernel with other columns after a reboot into it, or a cpu more: nothing to subtract
    other = {"nf_conntrack_stat": _ct_stat([(9, 9, 9)], restart=False)}
    assert _values(other, conntrack.COLLECTOR, before=after) == {}
    more = {"nf_conntrack_stat": _ct_stat([(9, 9, 9), (1, 1, 1)])}
    assert _values(more, conntrack.COLLECTOR, before=after) == {}


def test_no_conntrack_module_no_points() -> None:
    assert _values({}, conntrack.COLLECTOR, entropy.COLLECTOR, arp.COLLECTOR) == {}


def test_entropy_and_arp_totals() -> None:
    table = proc_net_arp.parse(
        "IP address HW type Flags HW address Mask Device\n"
        "10.0.0.1 0x1 0x2 aa:bb:cc:dd:ee:01 * eth0\n"
        "10.0.0.2 0x1 0x0 00:00:00:00:00:00 * eth0\n"
        "10.1.0.1 0x1 0x2 aa:bb:cc:dd:ee:02 * eth1\n"
    )
    avail = proc_sys_value.parse("256\n", "entropy_avail")
    values = _values({"net_arp": table, "entropy_avail": avail}, arp.COLLECTOR, entropy.COLLECTOR)
    assert values == {"arp_entries": 3, "entropy_available_bits": 256}


def test_softnet_rates_sum_the_cpus() -> None:
    before = {"softnet_stat": _softnet([(100, 0, 1), (200, 5, 0)])}
    after = {"softnet_stat": _softnet([(900, 10, 1), (400, 25, 3)])}
    values = _values(after, softnet.COLLECTOR, before=before)
    assert values == {
        "softnet_dropped_per_second": (10 + 20) / 10,
        "softnet_times_squeezed_per_second": (0 + 3) / 10,
    }


def test_a_wrapped_32_bit_softnet_counter_gives_no_rate() -> None:
    before = {"softnet_stat": _softnet([(100, 0xFFFFFFF0, 1)])}
    after = {"softnet_stat": _softnet([(900, 0x10, 2)])}
    values = _values(after, softnet.COLLECTOR, before=before)
    assert "softnet_dropped_per_second" not in values  # unknown, not a huge or negative rate
    assert values["softnet_times_squeezed_per_second"] == 0.1


def test_a_cpu_that_went_offline_is_left_out_of_the_sum() -> None:
    before = {"softnet_stat": _softnet([(100, 1, 0), (100, 1, 0)])}
    after = {"softnet_stat": _softnet([(100, 3, 0)])}
    values = _values(after, softnet.COLLECTOR, before=before)
    assert values["softnet_dropped_per_second"] == 0.2
