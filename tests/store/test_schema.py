from __future__ import annotations

import re

from clickhouse_connect.driver.client import Client

from store import schema
from store.settings import RetentionSettings, StoreSettings


def _cluster() -> StoreSettings:
    return StoreSettings(cluster="metrics",
                         retention=RetentionSettings(rollup_1d_days=3650, digest_1h_days=90))


def test_cluster_ddl_is_generated_from_the_same_tables() -> None:
    single = schema.create_all_sql(StoreSettings(retention=_cluster().retention), "sshmon")
    cluster = schema.create_all_sql(_cluster(), "sshmon")
    for table in schema.tables_for(_cluster()):
        local = next(s for s in cluster if f"EXISTS `{table.name}_local` ON CLUSTER" in s)
        plain = next(s for s in single if f"EXISTS `{table.name}` (" in s)
        # Same columns, same order/partition/TTL; only engine, names and settings differ.
        assert local.split("ENGINE")[0].replace("_local` ON CLUSTER `metrics`", "`") \
            == plain.split("ENGINE")[0]
        assert f"ENGINE = Replicated{table.engine}('/clickhouse/tables/{{shard}}/" in local
        assert "non_replicated_deduplication_window" not in local
        assert f"ORDER BY {table.order_by}" in local
        front = next(s for s in cluster if f"EXISTS `{table.name}` ON CLUSTER" in s)
        assert f"Distributed('metrics', 'sshmon', '{table.name}_local', {table.shard_key})" \
            in front


def test_every_cluster_statement_runs_on_the_cluster() -> None:
    statements = schema.create_all_sql(_cluster(), "sshmon")
    assert all(" ON CLUSTER `metrics`" in s for s in statements)
    views = [s for s in statements if "MATERIALIZED VIEW" in s]
    assert len(views) == len(schema.VIEWS)
    for view in views:  # each shard rolls up its own rows
        assert re.search(r"TO `\w+_local`", view) and re.search(r"FROM `\w+_local`", view)


def test_replacing_tables_keep_their_version_column_when_replicated() -> None:
    ddl = schema.create_table_sql(schema.HOST_INFO, _cluster(), "db")[0]
    assert "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', " \
           "'{replica}', ts)" in ddl


def test_single_node_tables_have_a_dedup_window() -> None:
    for statement in schema.create_all_sql(StoreSettings(), "db"):
        if "CREATE TABLE" in statement:
            assert f"non_replicated_deduplication_window = {schema.DEDUP_WINDOW}" in statement


def test_day_tier_and_sketch_exist_only_when_configured() -> None:
    names = {t.name for t in schema.tables_for(StoreSettings())}
    assert not names & {"points_1d", "digest_1h"}
    views = {v.name for v in schema.views_for(StoreSettings())}
    assert not views & {"mv_points_1d", "mv_digest_1h"}


def test_created_columns_carry_explicit_codecs(client: Client) -> None:
    rows = client.query(
        "SELECT table, name, compression_codec, type FROM system.columns "
        "WHERE database = currentDatabase() AND table = 'points'"
    ).result_rows
    by_name = {name: (codec, type_) for _, name, codec, type_ in rows}
    assert by_name["ts"][0] == "CODEC(DoubleDelta, ZSTD(1))"
    assert by_name["value"][0] == "CODEC(ZSTD(3))"
    assert by_name["host"][1] == "LowCardinality(String)"


def test_raw_table_is_partitioned_by_day_and_sorted_metric_first(client: Client) -> None:
    (key, partition, ttl_engine), = client.query(
        "SELECT sorting_key, partition_key, engine_full FROM system.tables "
        "WHERE database = currentDatabase() AND name = 'points'"
    ).result_rows
    assert key == "metric, host, dev, ts"
    assert partition == "toDate(ts)"
    assert "TTL ts + toIntervalSecond(604800)" in ttl_engine
