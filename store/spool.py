"""On-disk spool of batches that could not be inserted, replayed oldest first.

One file per batch, `<seq>-<rows>.batch` (zlib-compressed JSON), written to a temporary
name and renamed, so a crash leaves either the whole batch or nothing: a write that fails
(disk full) removes its temporary, and `clean_partial` removes those a crash left behind
(before, partial `*.tmp` files stayed in the spool forever). JSON rather than
pickle: the spool directory may outlive the code version that wrote it, and loading it
must never execute anything. When the directory grows past `max_bytes` the OLDEST batches
are dropped first and their rows counted; the newest data is what an operator wants.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIX = ".batch"
PARTIAL = ".tmp"


@dataclass(frozen=True)
class Batch:
    """Rows for several tables, inserted together under one de-duplication token."""

    token: str
    tables: dict[str, tuple[tuple[str, ...], list[list[Any]]]]  # table -> (columns, data)

    @property
    def rows(self) -> int:
        return sum(len(data[0]) if data else 0 for _, data in self.tables.values())


@dataclass(frozen=True)
class SpoolEntry:
    path: Path
    seq: int
    rows: int
    size: int


class Spool:
    """Not thread-safe: only the writer's worker thread touches it."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self.dropped_rows = 0
        self.dropped_batches = 0

    def entries(self) -> list[SpoolEntry]:
        """Spooled batches, oldest first."""
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            seq, _, rows = path.stem.partition("-")
            if seq.isdigit() and rows.isdigit():
                found.append(SpoolEntry(path, int(seq), int(rows), path.stat().st_size))
        return sorted(found, key=lambda e: e.seq)

    def put(self, batch: Batch) -> SpoolEntry:
        """Append a batch, then trim the oldest entries to respect the bound."""
        entries = self.entries()
        seq = entries[-1].seq + 1 if entries else 1
        payload = {"token": batch.token,
                   "tables": {t: [list(c), d] for t, (c, d) in batch.tables.items()}}
        blob = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 1)
        path = self.directory / f"{seq:016d}-{batch.rows}{SUFFIX}"
        tmp = path.with_suffix(PARTIAL)
        try:
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)  # a partial batch must not take the space for good
            raise
        entry = SpoolEntry(path, seq, batch.rows, len(blob))
        self._trim([*entries, entry])
        return entry

    def load(self, entry: SpoolEntry) -> Batch:
        payload = json.loads(zlib.decompress(entry.path.read_bytes()))
        tables = {t: (tuple(cols), data) for t, (cols, data) in payload["tables"].items()}
        return Batch(str(payload["token"]), tables)

    def remove(self, entry: SpoolEntry) -> None:
        entry.path.unlink(missing_ok=True)

    def discard(self, entry: SpoolEntry) -> None:
        """Drop an entry that can never be inserted, counting its rows."""
        self.remove(entry)
        self.dropped_rows += entry.rows
        self.dropped_batches += 1

    def clean_partial(self) -> int:
        """Remove temporaries of writes a crash interrupted; how many there were."""
        removed = 0
        for path in self.directory.glob(f"*{PARTIAL}"):
            path.unlink(missing_ok=True)
            removed += 1
        return removed

    def size(self) -> tuple[int, int]:
        """(batches, bytes) currently on disk."""
        entries = self.entries()
        return len(entries), sum(e.size for e in entries)

    def _trim(self, entries: list[SpoolEntry]) -> None:
        total = sum(e.size for e in entries)
        for entry in entries[:-1]:  # the batch just written is kept
            if total <= self.max_bytes:
                break
            total -= entry.size
            self.discard(entry)
