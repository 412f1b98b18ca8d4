from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from poller.catalog import METRICS, DevLabel, Kind, MetricSpec, Unit, per_dev_metrics
from poller.collectors.registry import parse_all
from poller.derive import Snapshot, derive
from poller.precision import Precision, exact
from poller.replay import sections_from_capture, sections_from_root

SYSCLASS = Path(__file__).resolve().parents[1] / "fixtures/sysclass"
CAPTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures/local").glob("probe-*.txt"))
# metrics the two captures cannot produce, and why
_NOT_ON_THE_CAPTURED_VM = {
    "swap_used_percent": "the VM has no swap",
    "disk_write_await_seconds": "no write completed in the 2 s between the captures",
    "net_packet_loss_percent": "no interface moved a packet in the 2 s between the captures",
}


def test_names_are_stable_snake_case_and_keyed_by_themselves() -> None:
    assert 50 <= len(METRICS) <= 150
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


def test_slow_metrics_are_the_ones_from_df_and_fixed_hardware_attributes() -> None:
    # link speed, MTU and duplex, and a sensor's declared limits, change only when a link
    # renegotiates or a driver loads: read in the slow round
    fixed = {
        "net_speed_bytes_per_second",
        "net_mtu_bytes",
        "net_duplex",
        "temp_crit_celsius",
        "temp_max_celsius",
    }
    assert {s.name for s in METRICS.values() if s.slow} == {
        s.name for s in METRICS.values() if s.name.startswith("fs_")
    } | fixed


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
