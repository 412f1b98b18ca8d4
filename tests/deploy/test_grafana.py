"""The Grafana dashboards in deploy/grafana run against a real store.

Every panel's SQL is taken from the dashboard JSON, its Grafana variables and the
ClickHouse plugin's macros are expanded the way Grafana and grafana-clickhouse-datasource
(pkg/macros/macros.go) expand them, and the result runs on the embedded store filled by
the real writer. A panel that errors or returns no rows fails here rather than in front of
an operator.
"""

from __future__ import annotations

import json
import re
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "api"))  # synth

import synth

from poller.points import HostState
from store import records
from store.db import connect
from store.settings import StoreSettings
from store.writer import Writer

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"
DASHBOARDS = sorted(GRAFANA.glob("*.json"))
PLUGIN = "grafana-clickhouse-datasource"
HOSTS = ("web-1", "db-1", "down-1")
DETAIL_HOST = "web-1"
HISTORY_S = 3 * 3600
# Grafana's own default when a panel sets no minimum interval: range / max data points
DEFAULT_INTERVAL_S = 60


@pytest.fixture(scope="module")
def store(chdb_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """Three hosts, three hours of polls, one failing host and one alert, all through the
    real writer (so the rollup and `latest` views fill as in production)."""
    settings = StoreSettings(
        url=f"chdb://{chdb_dir}",
        database=f"grafana_{uuid.uuid4().hex[:10]}",
        spool_dir=tmp_path_factory.mktemp("spool"),
        flush_interval_s=0.05,
    )
    now = time.time()
    writer = Writer(settings, catalog={})
    writer.start()
    for name in HOSTS:
        shape = synth.HostShape(name)
        for points in synth.history(shape, now - HISTORY_S, now, 60):
            writer.submit(points)
            down = name == "down-1"
            writer.submit_status(
                synth.status(
                    shape,
                    points[0].ts,
                    HostState.UNREACHABLE if down else HostState.OK,
                    "connect: No route to host" if down else "",
                )
            )
        writer.submit_host_info(synth.info(shape, now))
    writer.submit_alert_event(
        records.AlertEvent(now - 600, DETAIL_HOST, "cpu_busy", "warning", "firing", 93.0, 90.0,
                           "cpu busy 93% on web-1")
    )
    assert writer.close(60), "writer did not flush"
    client = connect(settings)
    yield client
    client.command(f"DROP DATABASE IF EXISTS `{settings.database}`")
    client.close()


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _panels() -> list[tuple[str, dict[str, Any]]]:
    return [(p.name, panel) for p in DASHBOARDS for panel in _load(p)["panels"]]


def _variables(path_name: str) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in _load(GRAFANA / path_name)["templating"]["list"]}


def expand(sql: str, *, hosts: list[str], start: int, end: int, interval_s: int) -> str:
    """Grafana's variable interpolation, then the plugin's macros (pkg/macros/macros.go)."""
    quoted = ",".join(f"'{h}'" for h in hosts)
    sql = sql.replace("${host:singlequote}", quoted)
    sql = sql.replace("${host}", hosts[0]).replace("$host", hosts[0])
    sql = re.sub(
        r"\$__timeFilter\(([^)]+)\)",
        lambda m: f"{m[1]} >= toDateTime({start}) AND {m[1]} <= toDateTime({end})",
        sql,
    )
    sql = re.sub(
        r"\$__timeInterval\(([^)]+)\)",
        lambda m: f"toStartOfInterval(toDateTime({m[1]}), INTERVAL {interval_s} second)",
        sql,
    )
    sql = sql.replace("$__interval_s", str(interval_s))
    sql = sql.replace("$__fromTime", f"toDateTime({start})")
    sql = sql.replace("$__toTime", f"toDateTime({end})")
    left = re.findall(r"\$\{?\w+", sql)
    assert not left, f"unexpanded Grafana variables or macros: {left}"
    return sql


def _interval_s(panel: dict[str, Any]) -> int:
    """A panel's minimum interval ('5m' on rollup panels) or Grafana's default."""
    raw = panel.get("interval")
    if not raw:
        return DEFAULT_INTERVAL_S
    match = re.fullmatch(r"(\d+)([smh])", raw)
    assert match, f"interval {raw!r}"
    return int(match[1]) * {"s": 1, "m": 60, "h": 3600}[match[2]]


def test_both_dashboards_are_shipped() -> None:
    assert {p.name for p in DASHBOARDS} >= {"fleet-overview.json", "host-detail.json"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_panel_reads_the_chosen_clickhouse_datasource(path: Path) -> None:
    dashboard = _load(path)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["query"] == PLUGIN
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in [panel, *panel["targets"]]:
            assert target["datasource"] == {"type": PLUGIN, "uid": "${datasource}"}


@pytest.mark.parametrize(
    ("dashboard", "panel"), _panels(), ids=[f"{d}:{p['title']}" for d, p in _panels()]
)
def test_panel_query_returns_rows(store: Client, dashboard: str, panel: dict[str, Any]) -> None:
    end = int(time.time())
    # the fleet board shows every host (the variable's "All"), the detail board one host
    hosts = list(HOSTS) if dashboard == "fleet-overview.json" else [DETAIL_HOST]
    for target in panel["targets"]:
        sql = expand(
            target["rawSql"], hosts=hosts, start=end - HISTORY_S, end=end,
            interval_s=_interval_s(panel),
        )
        result = store.query(sql)
        assert result.result_rows, f"no rows from: {sql}"
        if target["format"] == 0:  # time series: the plugin needs a time column
            assert "time" in result.column_names, sql


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_host_variable_lists_the_polled_hosts(store: Client, path: Path) -> None:
    sql = _variables(path.name)["host"]["query"]
    assert {row[0] for row in store.query(sql).result_rows} == set(HOSTS)
