"""How `sshmon probe` prints derived points: readable units, small values never shown as 0."""

from __future__ import annotations

import pytest

from api import format as fmt
from poller.catalog import METRICS
from sshmon.cli_poll import _human


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        ("boot_time_seconds", 1_796_055_870.0, "2026-11-30 16:24:30 UTC"),
        ("disk_read_await_seconds", 0.0036, "3.6 ms"),
        ("disk_write_await_seconds", 0.00046, "460 µs"),
        ("disk_read_await_seconds", 0.0, "0 s"),
        ("disk_read_await_seconds", 1.5, "1.5 s"),
        ("uptime_seconds", 12 * 86_400 + 4 * 3_600 + 59, "12 d 4 h"),
        ("net_rx_errors_per_second", 0.0999, "0.0999/s"),
        ("context_switches_per_second", 1234.0, "1234/s"),
        ("cpu_steal_percent", 0.004, "0.004 %"),
        ("cpu_busy_percent", 42.4, "42 %"),
        ("load1_per_core", 0.000625, "0.000625"),
        ("load1", 0.07, "0.07"),
        ("cpu_count", 2.0, "2"),
        ("mem_total_bytes", 8 * 1024**3, "8.0 GiB"),
    ],
    ids=lambda v: str(v),
)
def test_probe_prints_each_unit_readably(metric: str, value: float, shown: str) -> None:
    assert _human(value, METRICS[metric].unit) == shown


@pytest.mark.parametrize("value", [0.0036, 0.00046, 4.2e-7, -0.0021, 0.01, 0.0999])
def test_a_small_value_that_is_not_0_never_prints_as_0(value: float) -> None:
    assert float(fmt.significant(value)) == pytest.approx(value, rel=5e-3)
    assert "e" not in fmt.significant(value)  # plain decimals, no scientific notation


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12.345, "12.3"), (1_234_567.0, "1234567"), (100.0, "100"), (0.0, "0"), (None, fmt.NONE)],
)
def test_significant_digits(value: float | None, shown: str) -> None:
    assert fmt.significant(value) == shown


def test_every_catalog_unit_has_a_probe_format() -> None:
    for spec in METRICS.values():
        assert _human(1.0, spec.unit)
