"""API tokens: created once, shown once, stored only as a SHA-256 hash.

Tokens carry 256 bits from `secrets`, so a fast hash is enough (a slow password hash
protects guessable secrets; these are not guessable) and lets us look a token up by its
hash in one indexed query. The first characters (`prefix`) are kept in clear so `list`
can tell tokens apart without revealing them.

The `sshmon token` commands (sshmon/cli_tokens.py) are a thin layer over these functions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
    update,
)

TOKEN_PREFIX = "sshmon_"


class Role(StrEnum):
    viewer = "viewer"
    admin = "admin"


metadata = MetaData()
tokens_table = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("prefix", String(20), nullable=False),
    Column("hash", String(64), nullable=False, unique=True, index=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
    # the person the token was given to: silences, maintenance windows and acks made with it
    # are recorded under this name (the token's `name` says what it is for)
    Column("person", String(200), nullable=False, server_default=""),
)


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: Role
    prefix: str
    created_at: float
    revoked_at: float | None
    person: str = ""

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def who(self) -> str:
        """The name changes made with this token are recorded under."""
        return self.person or f"token {self.name}"


def open_db(url: str) -> Engine:
    """Engine on the token store (tokens and browser sessions), tables created if missing."""
    from api import sessions  # noqa: F401 - registers the sessions table (it imports us)

    engine = create_engine(url)
    metadata.create_all(engine)
    _add_person_column(engine)
    return engine


def _add_person_column(engine: Engine) -> None:
    """Token stores made before tokens named a person lack the column: add it (empty, so
    their changes read "token NAME"). create_all adds tables, never columns."""
    from sqlalchemy import inspect, text

    columns = {c["name"] for c in inspect(engine).get_columns("api_tokens")}
    if "person" not in columns:
        with engine.begin() as conn:
            conn.execute(
                text("ALTER TABLE api_tokens ADD COLUMN person VARCHAR(200) NOT NULL DEFAULT ''")
            )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _info(row: object) -> TokenInfo:
    m = row._mapping  # type: ignore[attr-defined]
    return TokenInfo(
        m["id"],
        m["name"],
        Role(m["role"]),
        m["prefix"],
        m["created_at"],
        m["revoked_at"],
        m["person"],
    )


def create(
    engine: Engine, name: str, role: Role, now: float, person: str = ""
) -> tuple[TokenInfo, str]:
    """Make a token; the clear text is returned here and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        result = conn.execute(
            tokens_table.insert().values(
                name=name,
                role=str(role),
                prefix=token[: len(TOKEN_PREFIX) + 6],
                hash=_hash(token),
                created_at=now,
                person=person,
            )
        )
        token_id = result.inserted_primary_key[0]  # type: ignore[index]
        row = conn.execute(select(tokens_table).where(tokens_table.c.id == token_id)).one()
    return _info(row), token


def verify(engine: Engine, token: str) -> TokenInfo | None:
    """The active token with this clear text, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(tokens_table).where(
                tokens_table.c.hash == _hash(token), tokens_table.c.revoked_at.is_(None)
            )
        ).first()
    return _info(row) if row is not None else None


def get(engine: Engine, token_id: int) -> TokenInfo | None:
    with engine.connect() as conn:
        row = conn.execute(select(tokens_table).where(tokens_table.c.id == token_id)).first()
    return _info(row) if row is not None else None


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with engine.connect() as conn:
        rows = conn.execute(select(tokens_table).order_by(tokens_table.c.id)).all()
    return [_info(r) for r in rows]


def revoke(engine: Engine, token_id: int, now: float) -> bool:
    """Revoke; False when no active token has this id. Sessions made from it end too."""
    with engine.begin() as conn:
        result = conn.execute(
            update(tokens_table)
            .where(tokens_table.c.id == token_id, tokens_table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return result.rowcount > 0
