"""Browser sessions kept on the server, so signing out or revoking ends them at once.

The cookie stays HMAC-signed (api/security.py) and now also carries a random session id;
a session is good only while its row exists here, has not expired and its token is not
revoked. Logout deletes the row, so a copied cookie stops working the moment its owner
signs out rather than when it expires (up to `auth.session_hours`). Like tokens, only a
hash of the id is stored: a leaked database cannot be replayed as cookies.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import Column, Engine, Float, ForeignKey, Integer, String, Table, delete, select

from api.tokens import metadata, tokens_table

sessions_table = Table(
    "web_sessions",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("token_id", Integer, ForeignKey("api_tokens.id"), nullable=False, index=True),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(engine: Engine, token_id: int, now: float, expires_at: float) -> str:
    """A new session for a verified token; returns its id for the cookie."""
    sid = secrets.token_urlsafe(24)
    with engine.begin() as conn:
        # sessions that ran out are only ever read as "gone": drop them while we are here
        conn.execute(delete(sessions_table).where(sessions_table.c.expires_at <= now))
        conn.execute(
            sessions_table.insert().values(
                hash=_hash(sid), token_id=token_id, created_at=now, expires_at=expires_at
            )
        )
    return sid


def active(engine: Engine, sid: str, token_id: int, now: float) -> bool:
    """The session exists, belongs to this token, has not expired, and the token is live."""
    if not sid or len(sid) > 100:
        return False
    query = (
        select(sessions_table.c.hash)
        .join(tokens_table, tokens_table.c.id == sessions_table.c.token_id)
        .where(
            sessions_table.c.hash == _hash(sid),
            sessions_table.c.token_id == token_id,
            sessions_table.c.expires_at > now,
            tokens_table.c.revoked_at.is_(None),
        )
    )
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def end(engine: Engine, sid: str) -> None:
    """Sign out: the session's cookie is worthless from now on, wherever it was copied."""
    with engine.begin() as conn:
        conn.execute(delete(sessions_table).where(sessions_table.c.hash == _hash(sid)))
