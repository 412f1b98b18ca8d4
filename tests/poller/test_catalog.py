from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from poller.catalog import METRICS, DevLabel, Kind, MetricSpec, Unit, owner, per_dev_metrics
from poller.collectors.registry import BY_NAME, parse_all
from poller.derive import Snapshot, derive
from poller.precision import Precision, exact
from poller.replay import sections_from_capture, sections_from_root

SYSCLASS = Path(__file__).resolve().parents[1] / "fixtures/sysclass"
CAPTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures/local").glob("probe-*.txt"))
# metrics the two captures cannot produce, and why
_NOT_ON_THE_CAPTURED_VM = {
    "swap_used_percent": "the VM has no swap",
    "psi_irq_full_avg10": "the VM's kernel has no /proc/pressure/irq (IRQ_TIME_ACCOUNTING)",
    "psi_irq_full_percent": "the VM's kernel has no /proc/pressure/irq (IRQ_TIME_ACCOUNTING)",
    # the captures predate the cgroups collector; tests/poller/test_cgroups_collector.py
    # derives these from the real cgroup tree (tests/fixtures/cgroup), where it can
    **{
        f"{kind}_{m}": "no cgroups section in these captures"
        for kind in ("service", "container")
        for m in (
            "cpu_percent",
            "memory_bytes",
            "io_read_bytes_per_second",
            "io_write_bytes_per_second",
        )
    },
    "tcp_connections": "tcp_states came after the captures (tests/parsers/test_cmd_tcp_states)",
    "timex_sync_status": "timex came after the captures (tests/parsers/test_cmd_timex)",
    "timex_offset_seconds": "timex came after the captures",
    "timex_maxerror_seconds": "timex came after the captures",
    "systemd_units_failed": "systemd_failed came after the captures; no systemd on the VM",
    **{
        m: "nf_conntrack_stat came after the captures (tests/poller/test_collectors_breadth)"
        for m in (
            "conntrack_drops_per_second",
            "conntrack_early_drops_per_second",
            "conntrack_insert_failed_per_second",
        )
    },
}


def test_names_are_stable_snake_case_and_keyed_by_themselves() -> None:
    assert 50 <= len(METRICS) <= 150  # a guard against a runaway generator, not a budget
    for name, spec in METRICS.items():
        assert name == spec.name and re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name)
        assert spec.description and spec.unit in get_args(Unit) and spec.kind in get_args(Kind)


@pytest.mark.parametrize(
    ("suffix", "unit"),
    [
        ("_percent", "percent"),
        ("_bytes", "bytes"),
        ("_bytes_per_second", "bytes_per_second"),
        ("_seconds", "seconds"),
    ],
)
def test_the_name_says_the_unit(suffix: str, unit: str) -> None:
    named = [s for s in METRICS.values() if s.name.endswith(suffix) and s.unit != "timestamp"]
    assert named and all(s.unit == unit for s in named), named


def test_timestamps_are_named_like_node_exporter_and_kept_exact() -> None:
    stamps = [s for s in METRICS.values() if s.unit == "timestamp"]
    assert [s.name for s in stamps] == ["boot_time_seconds"]  # node_boot_time_seconds
    assert all(s.precision.exact for s in stamps)


def test_every_metric_declares_its_precision() -> None:
    for spec in METRICS.values():
        assert isinstance(spec.precision, Precision), spec.name


def test_precision_follows_the_rules_of_issue_8() -> None:
    """Counts, byte sizes and timestamps exact; rates and derived gauges by significant
    digits; a fixed number of decimals only on the bounded percent scale, so no small
    rate, latency or ratio can round to 0, and on temperatures, which sysfs gives in
    whole millidegrees (3 decimals keep every one)."""
    for spec in METRICS.values():
        p = spec.precision
        if spec.unit in ("count", "bytes", "timestamp"):
            assert p.exact, spec.name
        if spec.kind == "rate" or spec.unit in ("seconds", "ratio"):
            assert p.exact or (p.digits is not None and p.digits >= 4), spec.name
        if p.decimals is not None and spec.unit == "celsius":
            assert p.decimals == 3, spec.name
        elif p.decimals is not None:
            assert spec.unit == "percent" and p.decimals >= 2, spec.name


def test_slow_metrics_are_the_ones_of_slow_sources() -> None:
    """A metric is marked slow exactly when every source of its collector is slow-round, or
    when it is a fixed hardware attribute that netclass and hwmon read in the slow round
    (link speed, MTU and duplex change when a link renegotiates, a sensor's declared limits
    when a driver loads), or netclass's carrier changes between two slow rounds."""
    fixed = {
        "net_speed_bytes_per_second",
        "net_mtu_bytes",
        "net_duplex",
        "net_carrier_changes",
        "temp_crit_celsius",
        "temp_max_celsius",
    }
    for spec in METRICS.values():
        collector = BY_NAME[owner(spec.name) or ""]
        slow_sources = all(s.slow for s in collector.sources)
        assert spec.slow == (spec.name in fixed or slow_sources), spec.name


def test_kinds_agree_with_units() -> None:
    for spec in METRICS.values():
        if spec.kind == "rate":
            assert spec.unit in ("per_second", "bytes_per_second") and spec.name.endswith("_second")
        if spec.kind == "percent":
            assert spec.unit == "percent"


def test_per_dev_metrics() -> None:
    every = per_dev_metrics()
    assert every and all(s.dev is not None for s in every)
    for label in get_args(DevLabel):
        some = per_dev_metrics(label)
        assert some and {s.dev for s in some} == {label}
    assert sum(len(per_dev_metrics(lb)) for lb in get_args(DevLabel)) == len(every)


def test_catalog_is_read_only() -> None:
    with pytest.raises(TypeError):
        METRICS["x"] = MetricSpec("x", "count", "gauge", None, "x", exact())  # type: ignore[index]


def test_every_catalog_metric_is_derived_from_real_captures() -> None:
    """A catalog entry nothing produces is a stale promise to storage, charts and alerts."""
    # the captured VM has no /sys families with values (hwmon, md, bonds): they come from
    # the fixture tree beside node_exporter's output (tests/fixtures/sysclass)
    tree = parse_all(sections_from_root(SYSCLASS)).readings
    readings = [
        {**tree, **parse_all(sections_from_capture(p.read_text())).readings} for p in CAPTURES
    ]
    points = derive("h", Snapshot(0, readings[0]), Snapshot(2, readings[1]))
    missing = set(METRICS) - {p.metric for p in points}
    assert missing == set(_NOT_ON_THE_CAPTURED_VM)
