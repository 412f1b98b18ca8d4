"""The outbox: notices waiting for their route, in the alerts database.

The engine writes notices in the same transaction as the alert state that produced them
(`StateStore.save(..., notices=...)`); the dispatcher reads what is pending, and removes a row
only once a route accepted a message carrying it. So a restart or a SIGKILL at any moment
leaves either nothing (the transition was not persisted: it happens again) or a pending row
(it is sent after the restart), never a second message for one change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from alerts import db as tables
from alerts.db import AlertsDB
from alerts.messages import Notice
from alerts.state import Change, Severity

PENDING = "pending"
GAVE_UP = "gave_up"


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    notice: Notice
    created_at: float
    attempts: int
    next_try: float


def to_json(n: Notice) -> dict[str, Any]:
    data = dataclasses.asdict(n)
    data["change"] = n.change.value
    data["severity"] = n.severity.value if n.severity else None
    return data


def from_json(data: dict[str, Any]) -> Notice:
    values = dict(data)
    values["change"] = Change(values["change"])
    values["severity"] = Severity(values["severity"]) if values.get("severity") else None
    return Notice(**values)


def add(conn: Connection, notices: Sequence[Notice], now: float, owner: str = "") -> None:
    """Insert within the caller's transaction (the one that saves the alert state)."""
    if not notices:
        return
    rows = [
        {
            "owner": owner,
            "route": n.route,
            "group_key": n.group,
            "rule": n.rule,
            "host": n.host,
            "dev": n.dev,
            "notice": to_json(n),
            "created_at": now,
            "attempts": 0,
            "next_try": 0.0,
            "state": PENDING,
            "reason": "",
        }
        for n in notices
    ]
    conn.execute(insert(tables.outbox), rows)


class OutboxStore:
    def __init__(self, db: AlertsDB, owner: str = "") -> None:
        self.db = db
        self.owner = owner

    def pending(self) -> list[Row]:
        table = tables.outbox
        query = (
            select(table)
            .where(table.c.state == PENDING, table.c.owner == self.owner)
            .order_by(table.c.id)
        )
        with self.db.engine.connect() as conn:
            return [
                Row(r.id, from_json(r.notice), r.created_at, r.attempts, r.next_try)
                for r in conn.execute(query)
            ]

    def sent(self, ids: Iterable[int]) -> None:
        table = tables.outbox
        with self.db.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.id.in_(list(ids))))

    def retry_later(self, ids: Iterable[int], next_try: float, reason: str) -> None:
        table = tables.outbox
        with self.db.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id.in_(list(ids)))
                .values(attempts=table.c.attempts + 1, next_try=next_try, reason=reason)
            )

    def give_up(self, ids: Iterable[int], reason: str) -> None:
        table = tables.outbox
        with self.db.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id.in_(list(ids)))
                .values(state=GAVE_UP, reason=reason, attempts=table.c.attempts + 1)
            )

    def given_up(self) -> list[tuple[Notice, str]]:
        table = tables.outbox
        query = select(table).where(table.c.state == GAVE_UP).order_by(table.c.id)
        with self.db.engine.connect() as conn:
            return [(from_json(r.notice), r.reason) for r in conn.execute(query)]
