"""Alert state that survives a restart, in the alerts database.

Only alerts that are not inactive are kept. After a restart a firing alert is firing again
with its `notified_at`, so nothing is re-sent (no storm) and, when it clears, the resolved
message still goes out because receivers are known to have heard of the firing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from alerts import db as tables
from alerts import outbox
from alerts.db import AlertsDB
from alerts.messages import Notice
from alerts.silences import Ack
from alerts.state import AlertState, Severity, Status

Key = tuple[str, str, str]  # rule, host, dev


def to_json(status: Status) -> dict[str, Any]:
    data = dataclasses.asdict(status)
    data["flips"] = list(status.flips)
    # JSON has no NaN/inf; None stands for them and comes back as NaN
    data["value"] = status.value if math.isfinite(status.value) else None
    return data


def from_json(data: Mapping[str, Any]) -> Status:
    fields = {f.name for f in dataclasses.fields(Status)}
    values = {k: v for k, v in data.items() if k in fields}  # tolerate rows from other versions
    values["state"] = AlertState(values.get("state", "inactive"))
    sev = values.get("severity")
    values["severity"] = Severity(sev) if sev else None
    values["flips"] = tuple(values.get("flips") or ())
    value = values.get("value")
    values["value"] = math.nan if value is None else float(value)
    return Status(**values)


class StateStore:
    def __init__(self, db: AlertsDB, owner: str = "") -> None:
        self.db = db
        self.owner = owner  # of the outbox rows it writes (see alerts/outbox.py)

    def load(self) -> dict[Key, Status]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(tables.alert_state)).all()
        return {(r.rule, r.host, r.dev): from_json(r.status) for r in rows}

    def save(
        self,
        changed: Mapping[Key, Status | None],
        now: float,
        notices: Sequence[Notice] = (),
        acks: Sequence[Ack] = (),
    ) -> None:
        """Write changed alerts, the notices they caused and new acknowledgements in one
        transaction; None (or inactive) removes an alert's row."""
        if not (changed or notices or acks):
            return
        gone = [k for k, s in changed.items() if s is None or s.state is AlertState.INACTIVE]
        rows = [
            {"rule": k[0], "host": k[1], "dev": k[2], "status": to_json(s), "updated_at": now}
            for k, s in changed.items()
            if s is not None and s.state is not AlertState.INACTIVE
        ]
        table = tables.alert_state
        with self.db.engine.begin() as conn:
            for rule, host, dev in gone:
                conn.execute(
                    delete(table).where(
                        table.c.rule == rule, table.c.host == host, table.c.dev == dev
                    )
                )
            if rows:
                conn.execute(_upsert(self.db, rows))
            outbox.add(conn, notices, now, self.owner)
            if acks:
                conn.execute(
                    insert(tables.acks),
                    [a.model_dump(exclude={"id"}) for a in acks],
                )

    def forget(self, keys: Iterable[Key]) -> None:
        self.save(dict.fromkeys(keys), 0.0)


def _upsert(db: AlertsDB, rows: list[dict[str, Any]]) -> Any:
    table = tables.alert_state
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.rule, table.c.host, table.c.dev],
        set_={"status": stmt.excluded.status, "updated_at": stmt.excluded.updated_at},
    )
