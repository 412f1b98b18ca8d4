"""Values leave the API rounded to their metric's precision, without float noise, and the
summary answers in the format asked for."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.present import rounded
from demo import targets
from sshmon.cli import app


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        pytest.param("mem_used_percent", 49.769999999999996, 49.77, id="percent-2-decimals"),
        pytest.param("cpu_steal_percent", 0.004, 0.0, id="percent-below-its-step"),
        pytest.param("net_rx_bytes_per_second", 1662548.123, 1663000.0, id="rate-4-digits"),
        pytest.param("disk_read_await_seconds", 0.000461234, 0.0004612, id="small-rate-kept"),
        pytest.param("load1", 0.30000000000000004, 0.3, id="exact-loses-only-noise"),
        pytest.param("mem_total_bytes", 25276518400.0, 25276518400.0, id="exact-bytes"),
        pytest.param("no_such_metric", 0.1 + 0.2, 0.3, id="unknown-metric-exact"),
    ],
)
def test_rounded_to_the_catalog_precision(metric: str, value: float, shown: float) -> None:
    assert rounded(metric, value) == shown


def test_none_and_non_finite_pass_through() -> None:
    assert rounded("cpu_busy_percent", None) is None
    assert rounded("cpu_busy_percent", float("inf")) == float("inf")


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


async def test_host_list_values_carry_no_float_noise(client: httpx.AsyncClient) -> None:
    rows = (await client.get("/api/v1/hosts")).json()
    assert rows
    for row in rows:
        for key in ("cpu", "mem", "fs"):
            if row.get(key) is not None:
                assert _decimals(row[key]) <= 2, (row["name"], key, row[key])


async def test_series_points_are_rounded(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/api/v1/series", params={"host": "web-1", "metric": "cpu_busy_percent", "range": "1h"}
    )
    for _, *values in r.json()["points"]:
        assert all(_decimals(v) <= 2 for v in values if v is not None)


async def test_summary_as_csv(client: httpx.AsyncClient) -> None:
    params = {"host": "web-1", "metric": "cpu_busy_percent", "range": "1h", "format": "csv"}
    r = await client.get("/api/v1/summary", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    [header, row] = list(csv.reader(io.StringIO(r.text)))
    values = dict(zip(header, row, strict=True))
    assert values["host"] == "web-1" and values["metric"] == "cpu_busy_percent"
    assert float(values["min"]) <= float(values["avg"]) <= float(values["max"])
    assert _decimals(float(values["avg"])) <= 2


async def test_summary_in_an_unknown_format_is_422(client: httpx.AsyncClient) -> None:
    params = {"host": "web-1", "metric": "cpu_busy_percent", "range": "1h", "format": "xml"}
    assert (await client.get("/api/v1/summary", params=params)).status_code == 422


def test_probe_json_points_are_rounded(tmp_path: Path) -> None:
    with targets.running(1) as fleet:
        [target] = fleet.targets
        (tmp_path / "known_hosts").write_text(fleet.known_hosts_lines())
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text(
            f"poller: {{data_dir: {tmp_path}, known_hosts: {tmp_path / 'known_hosts'}}}\n"
            f"hosts:\n  web-01: {{address: 127.0.0.1, port: {target.port}, user: demo}}\n"
        )
        args = ["probe", "web-01", "--json", "--interval", "0.5", "-i", str(inventory)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]
    assert any(p["metric"] == "cpu_busy_percent" for p in points)
    for p in points:
        assert p["value"] == rounded(p["metric"], p["value"]), p
