"""Every query in store.queries against rows written by the real writer path."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.client import Client
from store_helpers import T0, insert_points

from poller.points import HostInfo, HostState, Point, PollStatus
from store import queries
from store.errors import StoreQueryError
from store.records import AlertEvent
from store.settings import StoreSettings
from store.writer import Writer


def _cpu(host: str, base: float, n: int = 360, start: int = T0) -> list[Point]:
    return [Point("cpu", host, "", float(start + 10 * i), base + i % 10) for i in range(n)]


def test_latest_keeps_the_newest_value_even_when_it_arrives_first(client: Client) -> None:
    insert_points(client, [Point("cpu", "a", "", T0 + 100, 7.0)])
    insert_points(client, [Point("cpu", "a", "", T0 + 50, 1.0), Point("mem", "a", "", T0, 3.0)])
    insert_points(client, [Point("cpu", "b", "eth0", T0 + 10, 5.0)])
    rows = queries.latest_all(client)
    assert [(r.host, r.metric, r.dev, r.ts, r.value) for r in rows] == [
        ("a", "cpu", "", T0 + 100, 7.0), ("a", "mem", "", T0, 3.0),
        ("b", "cpu", "eth0", T0 + 10, 5.0),
    ]
    assert [r.metric for r in queries.latest_host(client, "a")] == ["cpu", "mem"]
    cols = queries.latest_all_columns(client)
    assert list(zip(cols.host, cols.metric, cols.dev, cols.ts, cols.value, strict=True)) == \
        [tuple(r) for r in rows]
    assert queries.latest_host(client, "nobody") == []


@pytest.mark.parametrize(
    ("span", "resolution", "step"),
    [(3_600, "raw", 10), (86_400, "raw", 120), (7 * 86_400, "5m", 900), (30 * 86_400, "1h", 3600),
     (365 * 86_400, "1h", 43_200)],
)
def test_resolution_keeps_series_under_max_points(span: int, resolution: str, step: int) -> None:
    assert queries.choose_resolution(T0, T0 + span, 1000) == (resolution, step)
    assert queries.choose_resolution(T0, T0 + 365 * 86_400, 200, day_tier=True)[0] == "1d"


@pytest.mark.parametrize("max_points", [10, 100, 1000])
def test_series_buckets_match_raw_and_respect_max_points(client: Client, max_points: int) -> None:
    points = _cpu("a", 50.0, n=8_640)  # one day at 10 s
    insert_points(client, points + _cpu("b", 0.0))
    series = queries.series(client, "a", "cpu", None, T0, T0 + 86_400, max_points)
    assert 0 < len(series.points) <= max_points
    assert series.points[0].ts == T0
    first = [p.value for p in points if p.ts < T0 + series.step_s]
    assert series.points[0].avg == pytest.approx(sum(first) / len(first))
    assert (series.points[0].min, series.points[0].max) == (min(first), max(first))
    assert sum(1 for p in points if p.ts >= series.points[-1].ts) > 0


def test_series_over_a_long_range_reads_a_rollup(client: Client) -> None:
    insert_points(client, _cpu("a", 50.0, n=8_640))
    series = queries.series(client, "a", "cpu", "", T0 - 29 * 86_400, T0 + 86_400)
    assert series.resolution == "1h" and len(series.points) == 24
    assert series.points[0].avg == pytest.approx(54.5)
    day = queries.series(client, "a", "cpu", "", T0 - 360 * 86_400, T0 + 86_400, 400,
                         day_tier=True)
    assert day.resolution == "1d" and [p.avg for p in day.points] == [pytest.approx(54.5)]


def test_summary_is_exact_while_raw_rows_cover_the_range(client: Client) -> None:
    insert_points(client, [Point("cpu", "a", "", T0 + i, float(i)) for i in range(1000)])
    for start in (T0, T0 - 20 * 86_400):  # a longer range is still all in raw
        got = queries.summary(client, "a", "cpu", None, start, T0 + 1000)
        assert (got.min, got.max, got.count, got.resolution) == (0, 999, 1000, "raw")
        assert got.avg == pytest.approx(499.5)
        assert got.p95 == pytest.approx(949.05) and got.p99 == pytest.approx(989.01)
    empty = queries.summary(client, "zzz", "cpu", None, T0, T0 + 1000)
    assert empty.count == 0 and empty.avg is None


def test_summary_past_the_raw_ttl_uses_rollups_and_the_sketch(client: Client) -> None:
    insert_points(client, [Point("cpu", "a", "", T0 + i, float(i)) for i in range(1000)])
    insert_points(client, [Point("cpu", "a", "", T0 + 5000, 7.0)])
    client.command("ALTER TABLE points DELETE WHERE ts < {t:UInt32}",
                   parameters={"t": T0 + 5000}, settings={"mutations_sync": 2})
    got = queries.summary(client, "a", "cpu", None, T0, T0 + 6000)
    assert (got.min, got.max, got.count, got.resolution) == (0, 999, 1001, "1h")
    assert got.quantiles_from == "sketch" and got.p95 == pytest.approx(949.05, abs=10)
    client.command("DROP TABLE digest_1h")  # no sketch configured: 5-minute averages
    got = queries.summary(client, "a", "cpu", None, T0, T0 + 6000)
    assert got.quantiles_from == "5m_avg" and got.p95 is not None and got.p95 < 949.05


def test_top_hosts_orders_by_the_chosen_aggregate(client: Client) -> None:
    insert_points(client, _cpu("a", 10.0, 30) + _cpu("b", 30.0, 30) + _cpu("c", 20.0, 30)
                  + [Point("cpu", "c", "", T0 + 1, 99.0)])
    top = queries.top_hosts(client, "cpu", T0, T0 + 300, n=2)
    assert [t.host for t in top] == ["b", "c"]
    assert queries.top_hosts(client, "cpu", T0, T0 + 300, by="max")[0].host == "c"
    week = queries.top_hosts(client, "cpu", T0 - 5 * 86_400, T0 + 300, n=3)  # 5-minute tier
    assert [t.host for t in week] == ["b", "c", "a"]
    with pytest.raises(StoreQueryError):
        queries.top_hosts(client, "cpu", T0, T0 + 300, by="value; DROP TABLE points")


def test_top_hosts_can_be_limited_to_one_device(client: Client) -> None:
    insert_points(client, [Point("rx", "a", "eth0", T0, 5.0), Point("rx", "a", "lo", T0, 90.0),
                           Point("rx", "b", "eth0", T0, 7.0)])
    assert [t.host for t in queries.top_hosts(client, "rx", T0, T0 + 10, dev="eth0")] == ["b", "a"]
    assert queries.top_hosts(client, "rx", T0, T0 + 10)[0].host == "a"


def _write(settings: StoreSettings, *calls: tuple[str, object]) -> None:
    writer = Writer(settings)
    for method, arg in calls:
        getattr(writer, method)(arg)
    assert writer.close(10)


def test_poll_history_and_last_poll(client: Client, settings: StoreSettings) -> None:
    _write(settings, *[("submit_status", PollStatus("a", T0 + i * 10, HostState.OK, "", 0.5))
                       for i in range(5)],
           ("submit_status", PollStatus("a", T0 + 60, HostState.TIMEOUT, "no answer", 5.0,
                                        ("df",))),
           ("submit_status", PollStatus("b", T0, HostState.AUTH_FAILED, "denied", 0.2)))
    history = queries.poll_history(client, "a", T0, T0 + 100, limit=3)
    assert [(h.ts, h.state) for h in history] == [(T0 + 60, "timeout"), (T0 + 40, "ok"),
                                                  (T0 + 30, "ok")]
    assert history[0].failed_sections == ("df",) and history[0].reason == "no answer"
    last = queries.last_poll_all(client)
    assert [(p.host, p.state) for p in last] == [("a", "timeout"), ("b", "auth_failed")]


def test_host_infos_keep_the_latest_refresh(client: Client, settings: StoreSettings) -> None:
    _write(settings, ("submit_host_info", HostInfo("a", T0, os_name="Debian 11", cpus=2)),
           ("submit_host_info", HostInfo("a", T0 + 600, os_name="Debian 12", cpus=4,
                                         memory_bytes=8e9, boot_time=T0 - 100)))
    (info,) = queries.host_infos(client)
    assert (info.os_name, info.cpus, info.last_seen, info.boot_time) == \
        ("Debian 12", 4, T0 + 600, T0 - 100)
    assert info.kernel is None and info.failed_units == ()  # systemd did not say


def test_host_infos_carry_failed_unit_names_as_given(
    client: Client, settings: StoreSettings
) -> None:
    names = ("backup.service", "a\\x1b[2J.mount", "'; DROP TABLE host_info; --")
    _write(settings, ("submit_host_info", HostInfo("a", T0, failed_units=names)))
    (info,) = queries.host_infos(client)
    assert info.failed_units == names


def test_metric_catalog_lists_what_is_stored(client: Client) -> None:
    insert_points(client, [Point("rx", "a", "eth0", T0, 1.0), Point("cpu", "a", "", T0, 1.0)])
    assert [tuple(r) for r in queries.metric_catalog_in_store(client)] == \
        [("a", "cpu", ""), ("a", "rx", "eth0")]


def test_alert_events_filter_by_host_rule_and_time(client: Client, settings: StoreSettings) -> None:
    events = [AlertEvent(T0 + 0.5, "a", "cpu", "warning", "pending", 91.0, 90.0, "hot"),
              AlertEvent(T0 + 60.25, "a", "cpu", "warning", "firing", 95.0, 90.0, "hot",
                         {"team": "ops"}),
              AlertEvent(T0 + 70, "b", "down", "critical", "firing")]
    _write(settings, *[("submit_alert_event", e) for e in events])
    assert queries.alert_events(client) == events[::-1]
    assert queries.alert_events(client, host="a", start=T0 + 1) == [events[1]]
    assert queries.alert_events(client, rule="down", end=T0 + 70) == []
    assert len(queries.alert_events(client, limit=1)) == 1


def test_user_text_never_becomes_sql(client: Client) -> None:
    nasty = "a' OR 1=1 --"
    insert_points(client, [Point("cpu", nasty, "", T0, 1.0), Point("cpu", "b", "", T0, 2.0)])
    assert [r.host for r in queries.latest_host(client, nasty)] == [nasty]
    assert queries.series(client, nasty, "cpu", None, T0, T0 + 10).points[0].avg == 1.0


@pytest.mark.parametrize("span", [86_400, 30 * 86_400], ids=["raw", "rollup"])
def test_series_many_equals_one_series_per_key(client: Client, span: int) -> None:
    points = _cpu("a", 50.0, n=2_000) + [
        Point("net", "a", dev, T0 + 10 * i, float(i % 7) * (k + 1))
        for k, dev in enumerate(("eth0", "lo")) for i in range(2_000)
    ] + _cpu("b", 1.0)
    insert_points(client, points)
    keys = [("net", "lo"), ("cpu", ""), ("net", "eth0"), ("missing", "")]
    start, end = T0 + 86_400 - span, T0 + 86_400
    many = queries.series_many(client, "a", keys, start, end, 500)
    assert [(s.metric, s.dev) for s in many] == keys
    for got, (metric, dev) in zip(many, keys, strict=True):
        assert got == queries.series(client, "a", metric, dev, start, end, 500)
    assert many[0].points and not many[3].points
    assert queries.series_many(client, "a", [], start, end) == []
