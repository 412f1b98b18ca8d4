"""The store's exception tree; library errors are translated in `translate` and only there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager


class StoreError(Exception):
    """Anything that went wrong talking to the store."""


class StoreConfigError(StoreError):
    """The settings cannot work (bad URL, a second chDB path in one process)."""


class StoreLockedError(StoreError):
    """Another process owns the embedded store directory (chDB allows one per directory)."""

    def __init__(self, path: str, pid: int | None) -> None:
        owner = f"process {pid}" if pid is not None else "another process"
        super().__init__(f"the store at {path} is in use by {owner}")
        self.path = path
        self.pid = pid


class StoreUnavailableError(StoreError):
    """The server could not be reached or the engine could not be opened; worth retrying."""


class StoreQueryError(StoreError):
    """The engine rejected a statement (a bug in sshmon or a schema drift)."""


class StoreCorruptError(StoreError):
    """The engine found damaged files in a stored part while reading it; retrying cannot help.
    (A part whose file sizes are wrong is detached when the table is next opened, see
    store/brokenparts.py; one with wrong bytes but right sizes stays until detached.)"""


class StoreDataError(StoreQueryError):
    """The rows themselves cannot be stored (wrong type, unparsable): retrying cannot help."""


_ENGINE_CODE = re.compile(r"Code: (\d+)")
# Network-ish codes worth retrying: 159 TIMEOUT_EXCEEDED, 209/210 socket, 241 memory, 243 disk.
_RETRYABLE_CODES = frozenset({159, 209, 210, 241, 243})
# Codes that blame the data: 6 CANNOT_PARSE_TEXT, 27 CANNOT_PARSE_INPUT_ASSERTION_FAILED,
# 53 TYPE_MISMATCH, 70 CANNOT_CONVERT_TYPE, 72 CANNOT_PARSE_NUMBER, 321 VALUE_IS_OUT_OF_RANGE.
_DATA_CODES = frozenset({6, 27, 53, 70, 72, 321})
# Codes that blame the files of a stored part: 32 ATTEMPT_TO_READ_AFTER_EOF, 33
# CANNOT_READ_ALL_DATA, 40 CHECKSUM_DOESNT_MATCH (measured: a damaged chDB part), 226
# NO_FILE_IN_DATA_PART, 246 CORRUPTED_DATA, 271 CANNOT_DECOMPRESS.
_CORRUPT_CODES = frozenset({32, 33, 40, 226, 246, 271})
# "Code: 40. DB::Exception: Checksum doesn't match: corrupted data. Reference: …"
_ENGINE_MESSAGE = re.compile(r"DB::Exception: ([^.]+)")
_PART_IN_TABLE = re.compile(r"while reading from part (\S+?)/? in table (\S+)")


def translate(exc: BaseException) -> StoreError:
    """Map one library exception to the tree, most specific first."""
    # Imported here so that importing store.errors stays cheap and library-free.
    from clickhouse_connect.driver import exceptions as cc

    if isinstance(exc, StoreError):
        return exc
    text = str(exc)
    if "EmbeddedServer already initialized with path" in text:
        return StoreConfigError(f"chDB opens one data directory per process: {text}")
    if isinstance(exc, cc.OperationalError | ConnectionError | TimeoutError | OSError):
        return StoreUnavailableError(text)
    if isinstance(exc, cc.DataError | TypeError | ValueError):
        # TypeError/ValueError: the driver could not serialize a value of the batch.
        return StoreDataError(text)
    if isinstance(exc, cc.DatabaseError):
        code = _ENGINE_CODE.search(text)
        if code and int(code.group(1)) in _RETRYABLE_CODES:
            return StoreUnavailableError(text)
        if code and int(code.group(1)) in _DATA_CODES:
            return StoreDataError(text)
        if code and int(code.group(1)) in _CORRUPT_CODES:
            return StoreCorruptError(_corrupt_reason(text))
        return StoreQueryError(text)
    if isinstance(exc, cc.ProgrammingError):
        return StoreQueryError(text)
    if isinstance(exc, cc.ClickHouseError):
        return StoreUnavailableError(text)
    return StoreError(f"{type(exc).__name__}: {text}")


def _corrupt_reason(text: str) -> str:
    """One line: which part of which table, and what the engine found wrong with it."""
    what = _ENGINE_MESSAGE.search(text)
    first = what.group(1).strip() if what else "damaged data"
    where = _PART_IN_TABLE.search(text)
    part = (f"part {where.group(1).rsplit('/', 1)[-1]} of table {where.group(2)}"
            if where else "a stored part")
    return f"the store cannot read {part}: its files are damaged ({first})"


@contextmanager
def translated() -> Iterator[None]:
    """Run a block and re-raise library exceptions as StoreError."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        raise translate(exc) from exc
