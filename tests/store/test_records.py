from __future__ import annotations

import math

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0

from poller.points import Point
from store import queries
from store.records import point_columns, round_significant
from store.settings import StoreSettings
from store.writer import Writer


@pytest.mark.parametrize(
    ("value", "digits", "decimals", "kept"),
    [(12.3456789, 4, 2, 12.35), (0.51234, 4, 2, 0.51), (0.51234, 4, None, 0.5123),
     (6_012_345_678.0, 4, 2, 6_012_000_000.0), (99.951, 4, 2, 99.95), (-3.14159, 4, 2, -3.14),
     (0.0, 4, 2, 0.0), (123.456, None, None, 123.456)],
    ids=["percent", "small-capped", "small-uncapped", "bytes", "near-100", "negative", "zero",
         "off"],
)
def test_values_keep_the_configured_precision(value: float, digits: int | None,
                                              decimals: int | None, kept: float) -> None:
    assert round_significant(value, digits, decimals) == kept


def test_non_finite_values_pass_through() -> None:
    assert math.isnan(round_significant(math.nan, 4, 2))
    assert round_significant(math.inf, 4, 2) == math.inf


def test_timestamps_are_stored_to_the_second() -> None:
    cols = point_columns([Point("m", "h", "", 1_700_000_000.9, 1.0)], None)
    assert cols[3] == [1_700_000_000]


def test_the_writer_stores_rounded_values(client: Client, settings: StoreSettings) -> None:
    writer = Writer(settings.model_copy(update={"value_digits": 4, "value_decimals": 2}))
    writer.submit([Point("cpu", "a", "", T0, 12.3456789)])
    assert writer.close(10)
    assert queries.latest_host(client, "a")[0].value == 12.35
