"""History steps follow the poll interval: 1 s polls read back as 1 s buckets from raw."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0, insert_points, make_points

from store import queries


@pytest.mark.parametrize(
    ("span", "min_step", "resolution", "step"),
    [
        pytest.param(900, 1, "raw", 1, id="15m-of-1s-polls"),
        pytest.param(3_600, 1, "raw", 5, id="1h-of-1s-polls-capped-by-points"),
        pytest.param(900, 10, "raw", 10, id="10s-polls-never-finer"),
        pytest.param(900, 30, "raw", 30, id="30s-polls"),
        pytest.param(30 * 86_400, 1, "1h", 3600, id="long-ranges-still-roll-up"),
    ],
)
def test_min_step_is_the_poll_interval(
    span: int, min_step: int, resolution: str, step: int
) -> None:
    assert queries.choose_resolution(T0, T0 + span, 1000, min_step=min_step) == (resolution, step)


def test_one_second_points_come_back_one_a_bucket(client: Client) -> None:
    insert_points(client, make_points(1, 1, 60, step=1))
    got = queries.series(client, "host-000", "m0", None, T0, T0 + 60, 1000, min_step=1)
    assert got.resolution == "raw" and got.step_s == 1
    assert [p.ts for p in got.points] == [float(T0 + i) for i in range(60)]
