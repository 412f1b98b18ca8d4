"""Series, summary, top: right resolution, CSV export, and 4xx (never 500) for bad requests."""

from __future__ import annotations

import csv
import io

import httpx
import pytest


async def _series(client: httpx.AsyncClient, **params: object) -> httpx.Response:
    return await client.get("/api/v1/series", params=params)  # type: ignore[arg-type]


async def test_short_range_reads_raw_points(client: httpx.AsyncClient) -> None:
    r = await _series(client, host="web-1", metric="cpu_busy_percent", range="1h")
    body = r.json()
    assert r.status_code == 200 and body["resolution"] == "raw" and body["unit"] == "percent"
    assert 300 <= len(body["points"]) <= 361  # one poll every 10 s
    _, avg, low, high = body["points"][0]
    assert low <= avg <= high


async def test_month_reads_a_rollup_with_bounded_points(client: httpx.AsyncClient) -> None:
    r = await _series(client, host="web-1", metric="cpu_busy_percent", range="30d")
    body = r.json()
    assert body["resolution"] in ("1h", "5m") and body["step"] >= 300
    assert 0 < len(body["points"]) <= 1000
    # the sparse month (every 30 min) is there, not just the last two hours
    assert body["points"][-1][0] - body["points"][0][0] > 25 * 86400


async def test_per_device_series(client: httpx.AsyncClient) -> None:
    r = await _series(
        client, host="db-1", metric="fs_used_percent", dev="/var/lib/postgresql", range="1h"
    )
    assert r.status_code == 200 and r.json()["dev"] == "/var/lib/postgresql"
    assert r.json()["points"]


async def test_csv_export(client: httpx.AsyncClient) -> None:
    r = await _series(client, host="web-1", metric="load1", range="15m", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["time", "timestamp", "avg", "min", "max"]
    assert len(rows) > 50 and rows[1][0].endswith("Z") and float(rows[1][2]) > 0


async def test_step_sets_the_bucket_width(client: httpx.AsyncClient) -> None:
    body = (await _series(client, host="web-1", metric="load1", range="1h", step=300)).json()
    assert body["step"] == 300 and len(body["points"]) <= 13


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"metric": "cpu_bogus"}, 404, "unknown metric"),
        ({"metric": "fs_used_percent"}, 400, "per mountpoint"),
        ({"metric": "load1", "dev": "sda"}, 400, "host-wide"),
        ({"host": "ghost"}, 404, "ghost"),
        ({"from": "now-1h", "to": "now-2h", "range": None}, 400, "before"),
        ({"from": "yesterday", "range": None}, 400, "from"),
        ({"range": "5y"}, 400, "at most"),
        ({"range": "1x"}, 400, "span"),
        ({"range": "1h", "from": "now-1h"}, 400, "either"),
        ({"max_points": 10**6}, 400, "max_points"),
        ({"step": 1}, 400, "poll interval"),
        ({"step": 0}, 422, "step"),
        ({"format": "xml"}, 422, "format"),
        ({"colour": "blue"}, 422, "colour"),
    ],
    ids=[
        "unknown-metric",
        "missing-dev",
        "dev-on-host-wide",
        "unknown-host",
        "reversed-range",
        "bad-time",
        "too-long",
        "bad-span",
        "range-and-from",
        "max-points-cap",
        "step-below-the-poll-interval",
        "zero-step",
        "bad-format",
        "unknown-param",
    ],
)
async def test_bad_requests_say_what_is_wrong(
    client: httpx.AsyncClient, params: dict[str, object], status: int, words: str
) -> None:
    query = {"host": "web-1", "metric": "load1", "range": "1h", **params}
    r = await _series(client, **{k: v for k, v in query.items() if v is not None})
    assert r.status_code == status, r.text
    assert words in r.text


async def test_summary_orders_its_statistics(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v1/summary", params={"host": "web-1", "metric": "cpu_busy_percent", "range": "1h"}
    )
    s = r.json()
    assert r.status_code == 200 and s["count"] >= 300 and s["resolution"] == "raw"
    assert s["min"] <= s["avg"] <= s["p95"] <= s["p99"] <= s["max"]


async def test_summary_over_a_month_covers_the_month(client: httpx.AsyncClient) -> None:
    s = (
        await client.get(
            "/api/v1/summary",
            params={"host": "web-1", "metric": "cpu_busy_percent", "range": "30d"},
        )
    ).json()
    # the store decides raw vs rollup (raw while its TTL still covers the range)
    assert s["resolution"] in ("raw", "1h") and s["min"] <= s["p95"] <= s["max"]
    assert s["count"] > 1500  # the sparse month, not only the last two hours (720 polls)


async def test_top_hosts_by_cpu(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v1/top", params={"metric": "cpu_busy_percent", "range": "1h", "n": 2}
    )
    hosts = [h["host"] for h in r.json()["hosts"]]
    assert hosts[0] == "web-1"  # synth base 35 % vs 20 % and 10 %
    assert len(hosts) == 2


async def test_top_rejects_unknown_ordering(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/top", params={"metric": "load1", "by": "median"})
    assert r.status_code == 422


async def test_metric_catalog_lists_units_and_dev_labels(client: httpx.AsyncClient) -> None:
    catalog = {m["name"]: m for m in (await client.get("/api/v1/metrics")).json()}
    assert catalog["fs_used_percent"]["dev"] == "mountpoint"
    assert catalog["net_rx_bytes_per_second"]["unit"] == "bytes_per_second"
