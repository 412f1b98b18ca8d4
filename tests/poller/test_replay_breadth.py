"""`sshmon replay --root` prints issue 12's single-file families with node_exporter's names,
labels and values.

The expected lines are node_exporter's own output for its fixture files
(tests/fixtures/node_exporter, copied from prometheus/node_exporter collector/fixtures;
values as in its collector/fixtures/e2e-output.txt, where that file has the family) and
for the procfs peer tree; they were also held against prometheus-node-exporter 1.5.0
running on the machine the probe captures come from.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from sshmon.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()

Key = tuple[str, tuple[tuple[str, str], ...]]

NODE_EXPORTER_TREE: dict[Key, float] = {
    # netstat, IPv6 lines of /proc/net/snmp6 under the default --collector.netstat.fields
    ("node_netstat_Icmp6_InErrors", ()): 0,
    ("node_netstat_Icmp6_InMsgs", ()): 0,
    ("node_netstat_Icmp6_OutMsgs", ()): 8,
    ("node_netstat_Ip6_InOctets", ()): 460,
    ("node_netstat_Ip6_OutOctets", ()): 536,
    ("node_netstat_Udp6_InDatagrams", ()): 0,
    ("node_netstat_Udp6_InErrors", ()): 0,
    ("node_netstat_Udp6_NoPorts", ()): 0,
    ("node_netstat_Udp6_OutDatagrams", ()): 0,
    ("node_netstat_Udp6_RcvbufErrors", ()): 9,
    ("node_netstat_Udp6_SndbufErrors", ()): 8,
    ("node_netstat_UdpLite6_InErrors", ()): 0,
    # sockstat, /proc/net/sockstat6
    ("node_sockstat_TCP6_inuse", ()): 17,
    ("node_sockstat_UDP6_inuse", ()): 9,
    ("node_sockstat_UDPLITE6_inuse", ()): 0,
    ("node_sockstat_RAW6_inuse", ()): 1,
    ("node_sockstat_FRAG6_inuse", ()): 0,
    ("node_sockstat_FRAG6_memory", ()): 0,
    # stat (softirq line with --collector.stat.softirq), procs, intr
    ("node_intr_total", ()): 8885917,
    ("node_procs_running", ()): 2,
    ("node_procs_blocked", ()): 0,
    ("node_softirqs_total", (("vector", "hi"),)): 250191,
    ("node_softirqs_total", (("vector", "timer"),)): 1481983,
    ("node_softirqs_total", (("vector", "net_tx"),)): 1647,
    ("node_softirqs_total", (("vector", "net_rx"),)): 211099,
    ("node_softirqs_total", (("vector", "block"),)): 186066,
    ("node_softirqs_total", (("vector", "block_iopoll"),)): 0,
    ("node_softirqs_total", (("vector", "tasklet"),)): 1783454,
    ("node_softirqs_total", (("vector", "sched"),)): 622196,
    ("node_softirqs_total", (("vector", "hrtimer"),)): 12499,
    ("node_softirqs_total", (("vector", "rcu"),)): 508444,
    # pressure, /proc/pressure/irq (total=8494 us)
    ("node_pressure_irq_stalled_seconds_total", ()): 0.008494,
    # conntrack: nf_conntrack_max and /proc/net/stat/nf_conntrack are in node_exporter's
    # fixtures (not nf_conntrack_count, without which node_exporter 1.5.0 prints no conntrack
    # family at all; with a count file added, it printed these values, summed over 4 cpus)
    ("node_nf_conntrack_entries_limit", ()): 262144,
    ("node_nf_conntrack_stat_found", ()): 0,
    ("node_nf_conntrack_stat_invalid", ()): 53,
    ("node_nf_conntrack_stat_ignore", ()): 89738,
    ("node_nf_conntrack_stat_insert", ()): 0,
    ("node_nf_conntrack_stat_insert_failed", ()): 0,
    ("node_nf_conntrack_stat_drop", ()): 0,
    ("node_nf_conntrack_stat_early_drop", ()): 0,
    ("node_nf_conntrack_stat_search_restart", ()): 7,
    # softnet (hexadecimal columns; cpu = row, no index column in this file)
    ("node_softnet_processed_total", (("cpu", "0"),)): 299641,
    ("node_softnet_processed_total", (("cpu", "1"),)): 916354,
    ("node_softnet_processed_total", (("cpu", "2"),)): 5577791,
    ("node_softnet_processed_total", (("cpu", "3"),)): 3113785,
    ("node_softnet_dropped_total", (("cpu", "0"),)): 0,
    ("node_softnet_dropped_total", (("cpu", "1"),)): 41,
    ("node_softnet_dropped_total", (("cpu", "2"),)): 0,
    ("node_softnet_dropped_total", (("cpu", "3"),)): 0,
    ("node_softnet_times_squeezed_total", (("cpu", "0"),)): 1,
    ("node_softnet_times_squeezed_total", (("cpu", "1"),)): 10,
    ("node_softnet_times_squeezed_total", (("cpu", "2"),)): 85,
    ("node_softnet_times_squeezed_total", (("cpu", "3"),)): 50,
    # arp
    ("node_arp_entries", (("device", "eth0"),)): 3,
    ("node_arp_entries", (("device", "eth1"),)): 3,
    # udp_queues: only /proc/net/udp in the tree, so no ip="v6" series (unavailable)
    ("node_udp_queues", (("ip", "v4"), ("queue", "rx"))): 0,
    ("node_udp_queues", (("ip", "v4"), ("queue", "tx"))): 21,
}

PROCFS_TREE: dict[Key, float] = {
    ("node_entropy_available_bits", ()): 3943,
    ("node_entropy_pool_size_bits", ()): 4096,
    ("node_arp_entries", (("device", "ens33"),)): 2,
    ("node_udp_queues", (("ip", "v4"), ("queue", "rx"))): 2,
    ("node_udp_queues", (("ip", "v4"), ("queue", "tx"))): 2,
    ("node_udp_queues", (("ip", "v6"), ("queue", "rx"))): 0,
    ("node_udp_queues", (("ip", "v6"), ("queue", "tx"))): 0,
    ("node_softnet_times_squeezed_total", (("cpu", "2"),)): 4026533737,
    ("node_sockstat_TCP6_inuse", ()): 17,
}

# families of issue 12 that must print nothing for a tree without their files
_BREADTH = ("node_netstat_Ip6_", "node_netstat_Icmp6_", "node_netstat_Udp6_",
            "node_netstat_UdpLite6_", "node_sockstat_TCP6_", "node_nf_conntrack_",
            "node_entropy_", "node_softnet_", "node_arp_", "node_udp_queues",
            "node_pressure_irq_", "node_softirqs_", "node_sockstat_TCP_mem_bytes")  # fmt: skip


def _replay(root: Path) -> dict[Key, float]:
    result = runner.invoke(app, ["replay", "--root", str(root)])
    assert result.exit_code == 0, result.output
    found: dict[Key, float] = {}
    for family in text_string_to_metric_families(result.stdout):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


@pytest.mark.parametrize(
    ("tree", "want"),
    [("node_exporter", NODE_EXPORTER_TREE), ("procfs", PROCFS_TREE)],
)
def test_replay_prints_node_exporters_names_labels_and_values(
    tree: str, want: dict[Key, float]
) -> None:
    found = _replay(FIXTURES / tree)
    assert {k: found.get(k) for k in want} == want
    if tree == "node_exporter":
        # and nothing else of these families: no v6 queues, no conntrack count, no bytes
        # of socket memory (the page size is a command; a tree runs none)
        extra = {k for k in found if k[0].startswith(_BREADTH)} - set(want)
        assert extra == set()


def test_a_tree_without_the_files_prints_none_of_them(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/loadavg").write_text("0.1 0.2 0.3 1/100 42\n")
    found = _replay(tmp_path)
    assert not [k for k in found if k[0].startswith(_BREADTH)]  # unavailable, never 0
    assert found[("node_load1", ())] == 0.1
