"""Rules changed through the UI or the API, kept in the alerts database with an audit trail.

An override is the whole rule as it now stands (or None: deleted there), so layering it over
the file is a replacement by name, never a merge that could surprise. The override and its
audit row are written in one transaction: no change without its record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select

from alerts.db import AlertsDB, rule_audit, rule_overrides


@dataclass(frozen=True, slots=True)
class Override:
    name: str
    rule: dict[str, Any] | None  # None: deleted through the UI or the API
    updated_at: float
    updated_by: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts: float
    who: str
    action: str  # create, update, thresholds, disable, enable, delete, revert
    rule: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class OverrideStore:
    def __init__(self, db: AlertsDB) -> None:
        self._db = db

    def all(self) -> list[Override]:
        with self._db.engine.connect() as conn:
            rows = conn.execute(select(rule_overrides).order_by(rule_overrides.c.name))
            return [Override(r.name, r.rule, r.updated_at, r.updated_by) for r in rows]

    def put(
        self,
        name: str,
        rule: dict[str, Any] | None,
        *,
        action: str,
        before: dict[str, Any] | None,
        who: str,
        now: float,
        keep: bool = True,
    ) -> None:
        """Store `rule` as the override of `name` (keep=False drops the override: the file's
        rule is in effect again) and record the change."""
        with self._db.engine.begin() as conn:
            conn.execute(delete(rule_overrides).where(rule_overrides.c.name == name))
            if keep:
                conn.execute(
                    insert(rule_overrides).values(
                        name=name, rule=rule, updated_at=now, updated_by=who
                    )
                )
            conn.execute(
                insert(rule_audit).values(
                    ts=now, who=who, action=action, rule=name, before=before, after=rule
                )
            )

    def audit(self, limit: int = 200, rule: str | None = None) -> list[AuditEntry]:
        """Newest first."""
        query = select(rule_audit).order_by(rule_audit.c.id.desc()).limit(limit)
        if rule is not None:
            query = query.where(rule_audit.c.rule == rule)
        with self._db.engine.connect() as conn:
            return [
                AuditEntry(r.id, r.ts, r.who, r.action, r.rule, r.before, r.after)
                for r in conn.execute(query)
            ]


def describe_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    """What an audit entry changed, in words: `warning: 80 → 50; for: (unset) → 300`."""
    if before is None and after is None:
        return ""
    if before is None:
        return "created"
    if after is None:
        return "removed"
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return (
        "; ".join(f"{k}: {_show(before.get(k))} → {_show(after.get(k))}" for k in keys)
        or "no change"
    )


def _show(value: Any) -> str:
    return "(unset)" if value is None else str(value)
