"""Opening sshmon's small SQLite state files (alerts.db, auth.db) so that a corrupt one costs
only its own part, never the process.

Before this, 64 random bytes at the start of alerts.db made every `sshmon run` exit 1 after
a long traceback that never named the file, so a supervisor restarted it into the same crash
and polling and storage stayed down. Now, at start:

- `recover_if_corrupt` asks SQLite itself (`PRAGMA quick_check`, which reads every page and
  takes well under a second on these few-MB files) whether the file is sound. A corrupt file
  is renamed `<name>.corrupt-<UTC time>` with its -wal/-shm companions, one warning line
  says so, and the caller starts an empty database: alerting keeps working, and the old
  file is left for a person (or `sqlite3 .recover`) to salvage silences from.
- `translated` turns whatever still goes wrong (a read-only directory, a bad page that
  quick_check missed, a PostgreSQL server that refuses) into `StateUnusable`, one line that
  names the file, so the composition can switch that part off and keep polling.

A server URL (PostgreSQL) is never moved or rewritten: only reported.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

log = logging.getLogger(__name__)

# SQLite keeps uncommitted and shared-memory state beside the file; moved together, or the
# fresh database would pick up a stale WAL written for the corrupt one.
COMPANIONS = ("-wal", "-shm", "-journal")
MAX_REASON = 200  # one log line: SQLite's messages are short, SQLAlchemy appends SQL and URLs


class StateUnusable(Exception):
    """A state database cannot be used; str() is one line naming the file and the reason."""


@dataclass(frozen=True)
class Recovered:
    path: Path
    moved_to: Path
    reason: str


def sqlite_path(url: str) -> Path | None:
    """The file behind a `sqlite:///…` URL; None for a server or an in-memory database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def where(url: str) -> str:
    """The file, or the URL without its password, for messages."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable database URL)"


def problem(path: Path) -> str | None:
    """SQLite's own verdict on a file: None when sound, else the first thing wrong."""
    try:
        # mode=rw: never create the file here; quick_check only reads
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True)
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        raise  # cannot open or lock it (a directory, permissions): no verdict on its content
    except sqlite3.DatabaseError as exc:  # "file is not a database", "disk image is malformed"
        return _short(str(exc))
    if rows == [("ok",)]:
        return None
    return _short("; ".join(str(r[0]) for r in rows[:3]))


def recover_if_corrupt(url: str, what: str, *, now: datetime | None = None) -> Recovered | None:
    """Move a corrupt SQLite file aside so an empty one can take its place (see the module doc).

    `what` names the part for the log line ("alerts database"). Raises StateUnusable when
    the file cannot be checked or moved.
    """
    path = sqlite_path(url)
    if path is None or not path.exists():
        return None
    try:
        reason = problem(path)
    except (OSError, sqlite3.Error) as exc:  # unreadable: permissions, a directory, EIO
        raise StateUnusable(f"{what} {path}: {_short(str(exc))}") from exc
    if reason is None:
        return None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    moved = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        for suffix in ("", *COMPANIONS):
            src = path.with_name(path.name + suffix)
            if src.exists():
                src.rename(moved.with_name(moved.name + suffix))
    except OSError as exc:
        raise StateUnusable(
            f"{what} {path} is corrupt ({reason}) and could not be moved aside: {exc}"
        ) from exc
    log.warning("%s %s is corrupt (%s); moved it to %s and started an empty one",
                what, path, reason, moved.name)
    return Recovered(path, moved, reason)


@contextmanager
def translated(url: str, what: str) -> Iterator[None]:
    """Re-raise database and file errors of the block as one-line StateUnusable."""
    try:
        yield
    except StateUnusable:
        raise
    except SQLAlchemyError as exc:
        # the driver's own message; SQLAlchemy's str() adds the SQL and a link
        orig = getattr(exc, "orig", None)
        raise StateUnusable(f"{what} {where(url)}: {_short(str(orig or exc))}") from exc
    except (OSError, sqlite3.Error) as exc:
        raise StateUnusable(f"{what} {where(url)}: {_short(str(exc))}") from exc


def _short(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"
