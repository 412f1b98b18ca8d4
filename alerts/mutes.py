"""Silences, maintenance windows and acknowledgements in the database, cached in memory.

The engine asks `muted_by()` on every change it might send, so the active set lives in memory;
writes through this class refresh it at once, and `reload()` (called from the engine's tick)
picks up rows written by another process, such as `sshmon alerts silence add`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from alerts import db as tables
from alerts.db import AlertsDB
from alerts.errors import InvalidRequestError, NotFoundError
from alerts.silences import Ack, Maintenance, Matcher, Schedule, Silence, Target, muted_by


class MuteStore:
    def __init__(self, db: AlertsDB) -> None:
        self.db = db
        self._silences: list[Silence] = []
        self._windows: list[Maintenance] = []
        self._last_ack_id = 0

    # reading ---------------------------------------------------------------------------

    def reload(self, now: float) -> None:
        self._silences = self.silences(now)
        self._windows = self.maintenance(now)

    def muted_by(self, target: Target, now: float) -> str | None:
        return muted_by(self._silences, self._windows, target, now)

    def silences(self, now: float, include_expired: bool = False) -> list[Silence]:
        query = select(tables.silences).order_by(tables.silences.c.id)
        if not include_expired:
            query = query.where(tables.silences.c.ends_at > now)
        with self.db.engine.connect() as conn:
            return [Silence.model_validate(dict(row._mapping)) for row in conn.execute(query)]

    def maintenance(self, now: float, include_expired: bool = False) -> list[Maintenance]:
        query = select(tables.maintenance).order_by(tables.maintenance.c.id)
        with self.db.engine.connect() as conn:
            rows = [Maintenance.model_validate(dict(r._mapping)) for r in conn.execute(query)]
        return [m for m in rows if include_expired or not _over(m, now)]

    def new_acks(self) -> list[Ack]:
        """Acknowledgements written since the last call (by anyone), oldest first."""
        query = select(tables.acks).where(tables.acks.c.id > self._last_ack_id)
        with self.db.engine.connect() as conn:
            found = [
                Ack.model_validate(dict(r._mapping)) for r in conn.execute(query.order_by("id"))
            ]
        if found:
            self._last_ack_id = found[-1].id
        return found

    # writing ---------------------------------------------------------------------------

    def add_silence(
        self,
        matcher: Matcher,
        ends_at: float,
        now: float,
        *,
        starts_at: float | None = None,
        comment: str = "",
        author: str = "",
    ) -> Silence:
        start = now if starts_at is None else starts_at
        if ends_at <= max(start, now):
            raise InvalidRequestError("a silence must end in the future and after it starts")
        values: dict[str, Any] = {
            "matcher": matcher.model_dump(),
            "starts_at": start,
            "ends_at": ends_at,
            "comment": comment,
            "author": author,
            "created_at": now,
        }
        new_id = self._insert(tables.silences, values)
        self.reload(now)
        return Silence(
            id=new_id,
            matcher=matcher,
            starts_at=start,
            ends_at=ends_at,
            comment=comment,
            author=author,
            created_at=now,
        )

    def expire_silence(self, silence_id: int, now: float, *, author: str = "") -> None:
        table = tables.silences
        with self.db.engine.begin() as conn:
            done = conn.execute(
                update(table)
                .where(table.c.id == silence_id, table.c.ends_at > now)
                .values(ends_at=now, updated_at=now, updated_by=author)
            )
        if done.rowcount == 0:
            raise NotFoundError(f"no active silence #{silence_id}")
        self.reload(now)

    # Edits update the row in place and stamp `updated_at`/`updated_by` rather than expiring
    # it and adding a replacement: the id people know (from the page, the CLI and the
    # "muted by silence #N" reasons already stored with alert events) keeps naming the same
    # mute, and `created_at`/`author` still say who first made it.

    def update_silence(
        self,
        silence_id: int,
        now: float,
        *,
        matcher: Matcher | None = None,
        ends_at: float | None = None,
        comment: str | None = None,
        author: str = "",
    ) -> Silence:
        """Change an active or future silence; an expired one is not found."""
        table = tables.silences
        with self.db.engine.begin() as conn:
            row = conn.execute(
                select(table).where(table.c.id == silence_id, table.c.ends_at > now)
            ).first()
            if row is None:
                raise NotFoundError(f"no active silence #{silence_id}")
            old = Silence.model_validate(dict(row._mapping))
            new = old.model_copy(
                update={
                    "matcher": matcher or old.matcher,
                    "ends_at": old.ends_at if ends_at is None else ends_at,
                    "comment": old.comment if comment is None else comment,
                    "updated_at": now,
                    "updated_by": author,
                }
            )
            if new.ends_at <= max(new.starts_at, now):
                raise InvalidRequestError(
                    "a silence must end in the future and after it starts (to end it now, "
                    "expire it)"
                )
            conn.execute(
                update(table)
                .where(table.c.id == silence_id)
                .values(
                    matcher=new.matcher.model_dump(),
                    ends_at=new.ends_at,
                    comment=new.comment,
                    updated_at=now,
                    updated_by=author,
                )
            )
        self.reload(now)
        return new

    def update_maintenance(
        self,
        window_id: int,
        now: float,
        *,
        name: str | None = None,
        matcher: Matcher | None = None,
        schedule: Schedule | None = None,
        comment: str | None = None,
        author: str = "",
    ) -> Maintenance:
        """Change a window that is not over (expired, or a one-off whose end has passed)."""
        table = tables.maintenance
        with self.db.engine.begin() as conn:
            row = conn.execute(select(table).where(table.c.id == window_id)).first()
            old = Maintenance.model_validate(dict(row._mapping)) if row is not None else None
            if old is None or _over(old, now):
                raise NotFoundError(f"no active maintenance window #{window_id}")
            new = old.model_copy(
                update={
                    "name": old.name if name is None else name,
                    "matcher": matcher or old.matcher,
                    "schedule": schedule or old.schedule,
                    "comment": old.comment if comment is None else comment,
                    "updated_at": now,
                    "updated_by": author,
                }
            )
            conn.execute(
                update(table)
                .where(table.c.id == window_id)
                .values(
                    name=new.name,
                    matcher=new.matcher.model_dump(),
                    schedule=new.schedule.model_dump(),
                    comment=new.comment,
                    updated_at=now,
                    updated_by=author,
                )
            )
        self.reload(now)
        return new

    def add_maintenance(
        self,
        name: str,
        matcher: Matcher,
        schedule: Schedule,
        now: float,
        *,
        comment: str = "",
        author: str = "",
    ) -> Maintenance:
        values: dict[str, Any] = {
            "name": name,
            "matcher": matcher.model_dump(),
            "schedule": schedule.model_dump(),
            "comment": comment,
            "author": author,
            "created_at": now,
            "expired_at": None,
        }
        new_id = self._insert(tables.maintenance, values)
        self.reload(now)
        return Maintenance(
            id=new_id,
            name=name,
            matcher=matcher,
            schedule=schedule,
            comment=comment,
            author=author,
            created_at=now,
        )

    def expire_maintenance(self, window_id: int, now: float, *, author: str = "") -> None:
        table = tables.maintenance
        with self.db.engine.begin() as conn:
            done = conn.execute(
                update(table)
                .where(table.c.id == window_id, table.c.expired_at.is_(None))
                # who ended it is a change like any other: recorded as the last editor
                .values(expired_at=now, updated_at=now, updated_by=author)
            )
        if done.rowcount == 0:
            raise NotFoundError(f"no active maintenance window #{window_id}")
        self.reload(now)

    def add_ack(
        self, rule: str, host: str, dev: str, now: float, *, author: str = "", comment: str = ""
    ) -> Ack:
        values: dict[str, Any] = {
            "rule": rule,
            "host": host,
            "dev": dev,
            "author": author,
            "comment": comment,
            "created_at": now,
        }
        new_id = self._insert(tables.acks, values)
        return Ack(id=new_id, **values)

    def _insert(self, table: Any, values: dict[str, Any]) -> int:
        with self.db.engine.begin() as conn:
            result = conn.execute(insert(table).values(**values))
            key = result.inserted_primary_key
        if key is None:
            raise RuntimeError("the database returned no id for a new row")
        return int(key[0])


def _over(m: Maintenance, now: float) -> bool:
    if m.expired_at is not None and m.expired_at <= now:
        return True
    end = m.schedule.end
    return m.schedule.kind == "once" and end is not None and end <= now
