"""The delivery log: one row per attempt to send a message, kept in the alerts database.

Rows with outcome `queued` are messages that were still waiting when sshmon stopped; the next
start takes them back (and deletes those rows) so a resolved message is not lost in a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from alerts import db as tables
from alerts.db import AlertsDB
from alerts.messages import Message

if TYPE_CHECKING:
    from alerts.notify import Attempt


class DeliveryLog:
    def __init__(self, db: AlertsDB) -> None:
        self.db = db

    def record(self, message: Message, attempt: Attempt, now: float) -> None:
        row = _row(message, attempt.message_id, now) | {
            "attempt": attempt.attempt,
            "ok": attempt.ok,
            "outcome": attempt.outcome,
            "reason": attempt.reason,
        }
        with self.db.engine.begin() as conn:
            conn.execute(insert(tables.deliveries).values(**row))

    def keep_queued(self, items: list[tuple[str, Message]], now: float) -> None:
        rows = [
            _row(m, mid, now)
            | {"attempt": 0, "ok": False, "outcome": "queued", "reason": "undelivered at shutdown"}
            for mid, m in items
        ]
        with self.db.engine.begin() as conn:
            conn.execute(insert(tables.deliveries), rows)

    def take_queued(self) -> list[tuple[str, Message]]:
        table = tables.deliveries
        with self.db.engine.begin() as conn:
            rows = conn.execute(
                select(table).where(table.c.outcome == "queued").order_by(table.c.id)
            ).all()
            conn.execute(delete(table).where(table.c.outcome == "queued"))
        return [
            (
                r.message_id,
                Message(
                    route=r.route,
                    host=r.host,
                    title=r.title,
                    body=r.body,
                    notify_type=r.notify_type,
                ),
            )
            for r in rows
        ]

    def recent(self, limit: int = 100, host: str | None = None) -> list[dict[str, Any]]:
        table = tables.deliveries
        query = select(table).order_by(table.c.id.desc()).limit(limit)
        if host is not None:
            query = query.where(table.c.host == host)
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _row(message: Message, message_id: str, now: float) -> dict[str, Any]:
    return {
        "ts": now,
        "message_id": message_id,
        "route": message.route,
        "host": message.host,
        "title": message.title,
        "body": message.body,
        "notify_type": message.notify_type,
    }
