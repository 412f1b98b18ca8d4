"""Parts the engine detached as broken: counted, named and said once, never lost silently.

When a part's files are damaged (a torn write, a bad disk block), ClickHouse and chDB move it
to `detached/broken-on-start_<part>` while opening the table and carry on without its rows:
measured in chDB 26.9, a corrupted `points` part made 324 rows vanish without a word. The
engine keeps the directory (a person may attach it again after repairing it), so the count
of detached broken parts is the number to watch; `broken_parts_seen` remembers which were
already reported, so each start warns once about the newly detached ones.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from clickhouse_connect.driver.client import Client

from store.errors import translated

log = logging.getLogger(__name__)

LIST_SQL = (
    "SELECT table, name, ifNull(reason, ''), path FROM system.detached_parts "
    "WHERE database = currentDatabase() AND startsWith(ifNull(reason, ''), 'broken')"
)
SEEN_SQL = "SELECT table, name FROM broken_parts_seen"


@dataclass(frozen=True)
class BrokenPart:
    table: str
    name: str  # the directory under detached/, reason prefix included (broken-on-start_…)
    reason: str
    path: str  # on the engine's disk, as system.detached_parts gives it

    def rows(self) -> int | None:
        """Rows the part held, from its count.txt when the engine's files are local (chDB)."""
        try:
            return int(Path(self.path, "count.txt").read_text().strip())
        except (OSError, ValueError):
            return None


@dataclass(frozen=True)
class BrokenParts:
    all: list[BrokenPart] = field(default_factory=list)
    new: list[BrokenPart] = field(default_factory=list)

    def message(self) -> str:
        """One line about the newly detached parts (the warning, and the dashboard banner)."""
        counts = [p.rows() for p in self.new]
        rows = "" if None in counts else f", {sum(c for c in counts if c is not None)} rows"
        names = ", ".join(f"{p.table}/detached/{p.name}" for p in self.new)
        return (f"the store detached {len(self.new)} broken part(s) at start{rows} no longer "
                f"queried: {names}")


def list_broken(client: Client) -> list[BrokenPart]:
    with translated():
        rows = client.query(LIST_SQL).result_rows
    return [BrokenPart(str(t), str(n), str(r), str(p)) for t, n, r, p in rows]


def check(client: Client) -> BrokenParts:
    """List broken detached parts, warn once about the ones not reported before."""
    found = list_broken(client)
    with translated():
        seen = {(str(t), str(n)) for t, n in client.query(SEEN_SQL).result_rows}
        new = [p for p in found if (p.table, p.name) not in seen]
        if new:
            client.insert("broken_parts_seen", [[p.table, p.name] for p in new],
                          column_names=["table", "name"])
    result = BrokenParts(found, new)
    if new:
        log.warning("%s", result.message())
    return result
