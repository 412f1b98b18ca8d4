"""The relational side of alerts: silences, maintenance, acknowledgements, alert state and
the delivery log, through SQLAlchemy 2.x (a SQLite file by default, PostgreSQL by URL).

Small, slowly changing state that needs updates in place, which ClickHouse is bad at; the
schema is created at start (create_all is idempotent).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)

metadata = MetaData()

silences = Table(
    "alert_silences",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("matcher", JSON, nullable=False),  # {hosts, groups, rules, labels}
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    # edits change the row in place (see MuteStore.update_silence); who and when last
    Column("updated_at", Float, nullable=True),
    Column("updated_by", String(200), nullable=True),
)

maintenance = Table(
    "alert_maintenance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("matcher", JSON, nullable=False),
    Column("schedule", JSON, nullable=False),  # see silences.Schedule
    Column("comment", Text, nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("expired_at", Float, nullable=True),
    Column("updated_at", Float, nullable=True),
    Column("updated_by", String(200), nullable=True),
)

acks = Table(
    "alert_acks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("dev", String(512), nullable=False, default=""),
    Column("author", String(200), nullable=False, default=""),
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)

alert_state = Table(
    "alert_state",
    metadata,
    Column("rule", String(64), primary_key=True),
    Column("host", String(255), primary_key=True),
    Column("dev", String(512), primary_key=True),
    Column("status", JSON, nullable=False),
    Column("updated_at", Float, nullable=False),
)

deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False, index=True),
    Column("message_id", String(64), nullable=False, index=True),
    Column("route", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("notify_type", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    # sent, failed (will retry), gave_up, queued (left undelivered at shutdown)
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
)

# Notifications not yet accepted by their route (see alerts/outbox.py). Rows are written in
# the same transaction as the alert state that caused them, so a crash can neither lose a page
# (state says "told", message gone) nor repeat one (message sent, state forgotten).
outbox = Table(
    "alert_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the poller that wrote it ("" alone, "K/N" for `sshmon poll --shard K/N`): pollers
    # sharing one PostgreSQL database each send only their own hosts' notices
    Column("owner", String(32), nullable=False, default="", index=True),
    Column("route", String(64), nullable=False),
    Column("group_key", String(512), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("host", String(255), nullable=False),
    Column("dev", String(512), nullable=False, default=""),
    Column("notice", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try", Float, nullable=False, default=0.0),
    # pending until a route takes it (then the row goes), or gave_up with the reason
    Column("state", String(16), nullable=False, default="pending", index=True),
    Column("reason", Text, nullable=False, default=""),
)


# Rules changed through the UI or the API, layered over the file's rules and the shipped ones
# (alerts/overrides.py). One row per rule name: the whole rule as it now stands, or NULL for
# a rule deleted there. The file stays the base; `sshmon alerts rules --export` writes these
# back as YAML.
rule_overrides = Table(
    "alert_rule_overrides",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("rule", JSON, nullable=True),
    Column("updated_at", Float, nullable=False),
    Column("updated_by", String(200), nullable=False, default=""),
)

# Every change to a rule through the UI or the API: who (token name or user), when, what.
rule_audit = Table(
    "alert_rule_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", Float, nullable=False, index=True),
    Column("who", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("rule", String(64), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
)


class AlertsDB:
    """One SQLAlchemy engine and the alerts schema on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        _add_new_columns(self.engine)

    @classmethod
    def in_dir(cls, data_dir: Path) -> AlertsDB:
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{data_dir / 'alerts.db'}")

    def close(self) -> None:
        self.engine.dispose()


# Columns added after the first release. create_all never alters an existing table, so a
# database made by an older sshmon gets them here; each is nullable, so old rows stay valid.
ADDED_COLUMNS: tuple[tuple[Table, str], ...] = (
    (silences, "updated_at"),
    (silences, "updated_by"),
    (maintenance, "updated_at"),
    (maintenance, "updated_by"),
)


def _add_new_columns(engine: Engine) -> None:
    found = inspect(engine)
    have = {t.name: {c["name"] for c in found.get_columns(t.name)} for t, _ in ADDED_COLUMNS}
    with engine.begin() as conn:
        for table, name in ADDED_COLUMNS:
            if name not in have[table.name]:
                kind = table.c[name].type.compile(engine.dialect)
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    # WAL lets the CLI read while `sshmon run` writes; busy_timeout waits instead of failing
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
