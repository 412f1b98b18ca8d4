from __future__ import annotations

import time

from clickhouse_connect.driver.client import Client
from store_helpers import insert_points, make_points, scalar

from store.migrations import MIGRATIONS, current_ttls, migrate
from store.settings import RetentionSettings, StoreSettings


def test_running_migrations_twice_changes_nothing(client: Client, settings: StoreSettings) -> None:
    again = migrate(client, settings)
    assert again.applied == [] and again.ttl_changed == [] and again.views_dropped == []
    versions = client.query("SELECT version FROM schema_migrations").result_rows
    assert sorted(v for (v,) in versions) == [m.version for m in MIGRATIONS]


def test_changed_retention_alters_the_ttl_on_next_start(
    client: Client, settings: StoreSettings
) -> None:
    shorter = settings.model_copy(update={"retention": RetentionSettings(raw_days=2)})
    report = migrate(client, shorter)
    assert report.ttl_changed == ["points", "latest"]
    assert current_ttls(client, shorter)["points"] == "ts + toIntervalSecond(172800)"
    assert migrate(client, shorter).ttl_changed == []


def test_day_tier_is_fed_only_while_enabled(client: Client, settings: StoreSettings) -> None:
    without = settings.model_copy(update={"retention": settings.retention.model_copy(
        update={"rollup_1d_days": None})})
    assert migrate(client, without).views_dropped == ["mv_points_1d"]
    insert_points(client, make_points(1, 1, 6))
    assert scalar(client, "SELECT count() FROM points_1d") == 0
    assert migrate(client, settings).views_dropped == []  # recreated
    insert_points(client, make_points(1, 1, 6, seed=2, start=int(time.time())))
    assert scalar(client, "SELECT sum(count) FROM points_1d") == 6


def test_expired_rows_are_deleted_by_a_merge_after_the_ttl_shrinks(
    client: Client, settings: StoreSettings
) -> None:
    now = int(time.time())
    old = make_points(2, 2, 30, start=now - 3 * 86_400)
    fresh = make_points(2, 2, 30, start=now - 600, seed=3)
    insert_points(client, old)
    insert_points(client, fresh)
    client.command("OPTIMIZE TABLE points FINAL")
    assert scalar(client, "SELECT count() FROM points") == len(old) + len(fresh)
    # A config change to one day is applied as ALTER … MODIFY TTL on the next start …
    migrate(client, settings.model_copy(update={"retention": RetentionSettings(raw_days=1)}))
    client.command("OPTIMIZE TABLE points FINAL")
    # … and the merge deletes what is older than a day, nothing else.
    assert scalar(client, "SELECT count() FROM points") == len(fresh)
    assert scalar(client, "SELECT min(ts) FROM points").timestamp() >= now - 600  # type: ignore[attr-defined]


def test_ttl_in_seconds_expires_rows_of_every_tier(client: Client, settings: StoreSettings) -> None:
    tiny = RetentionSettings(raw_days=1 / 86_400, rollup_5m_days=1 / 86_400,
                             rollup_1h_days=1 / 86_400, rollup_1d_days=1 / 86_400)
    migrate(client, settings.model_copy(update={"retention": tiny}))
    insert_points(client, make_points(1, 1, 3, start=int(time.time()) - 7_200))
    for table in ("points", "points_5m", "points_1h", "points_1d", "latest"):
        client.command(f"OPTIMIZE TABLE {table} FINAL")
        assert scalar(client, f"SELECT count() FROM {table}") == 0, table


def test_latest_rebuild_keeps_current_values_from_raw(
    client: Client, settings: StoreSettings
) -> None:
    from store import queries
    from store.migrations import _latest_replacing

    insert_points(client, make_points(2, 3, 4, start=int(time.time()) - 60))
    before = sorted(queries.latest_all(client))
    for statement in _latest_replacing(settings, settings.database):
        client.command(statement)
    assert sorted(queries.latest_all(client)) == before and len(before) == 6


def test_host_info_made_before_failed_units_gains_the_column_and_keeps_its_rows(
    client: Client, settings: StoreSettings
) -> None:
    from store import queries

    # the table as migration 1 made it, with a row written then
    client.command("ALTER TABLE host_info DROP COLUMN failed_units")
    client.command("DELETE FROM schema_migrations WHERE version = 5")
    client.command("INSERT INTO host_info (host, ts, os_name) VALUES ('a', now(), 'Debian 12')")
    assert migrate(client, settings).applied == [5]
    (info,) = queries.host_infos(client)
    assert (info.os_name, info.failed_units) == ("Debian 12", ())


def test_grouped_views_of_an_older_store_become_pass_through(
    client: Client, settings: StoreSettings
) -> None:
    from test_rollups import GROUPED

    # the views as migrations 1 to 5 made them
    for name, table in (("mv_points_5m", "points_5m"), ("mv_points_1h", "points_1h"),
                        ("mv_latest", "latest")):
        client.command(f"DROP VIEW {name}")
        client.command(f"CREATE MATERIALIZED VIEW {name} TO {table} AS {GROUPED[table]}")
    client.command("DELETE FROM schema_migrations WHERE version = 6")
    assert migrate(client, settings).applied == [6]
    queries = dict(client.query(
        "SELECT name, as_select FROM system.tables WHERE database = currentDatabase() "
        "AND name IN ('mv_points_5m', 'mv_points_1h', 'mv_latest')").result_rows)
    assert len(queries) == 3 and not any("GROUP BY" in str(q) for q in queries.values())
    # and they still feed their tables
    insert_points(client, make_points(1, 1, 6, start=int(time.time()) - 60))
    assert scalar(client, "SELECT sum(count) FROM points_5m") == 6
    assert scalar(client, "SELECT count() FROM latest FINAL") == 1
