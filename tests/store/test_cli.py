from __future__ import annotations

from clickhouse_connect.driver.client import Client
from store_helpers import T0, insert_points, make_points
from typer.testing import CliRunner

from sshmon.cli_db import db_app
from store.settings import StoreSettings
from store.status import db_status, redact


def test_db_status_shows_rows_and_time_span_per_tier(
    client: Client, settings: StoreSettings, monkeypatch: object
) -> None:
    insert_points(client, make_points(2, 3, 10))
    status = db_status(settings)
    by_name = {t.name: t for t in status.tables}
    assert by_name["points"].rows == 60 and by_name["points"].bytes_on_disk > 0
    assert by_name["points"].oldest == T0 and by_name["points"].newest == T0 + 90
    assert by_name["points_5m"].oldest == T0
    assert "mv_points_5m" not in by_name


def test_db_status_command_prints_a_table(client: Client, settings: StoreSettings) -> None:
    insert_points(client, make_points(1, 1, 5))
    result = CliRunner().invoke(db_app, ["status", "--database-url", settings.url],
                                env={"SSHMON_DATABASE_URL": ""})
    # the default database is 'sshmon', not this test's: it shows that database, empty
    assert result.exit_code == 0, result.output
    assert "embedded chDB" in result.output and "database sshmon" in result.output


def test_passwords_are_not_printed() -> None:
    assert redact("http://me:secret@ch:8123/db") == "http://me:***@ch:8123/db"
    assert redact("chdb:///var/lib/sshmon") == "chdb:///var/lib/sshmon"
