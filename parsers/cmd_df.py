"""Parse `df -kP` (space) and `df -iP` (inodes) output; the header says which it is.

GNU df gives both from one process with `df -k --output=OUTPUT_COLUMNS` (the probe
tries that first: each process the slow round starts costs the target ~0.5 ms, and df
under `timeout` ~1.4 ms); `parse_space` and `parse_inodes` take that output's halves,
and the two `-P` outputs where `--output` is refused (busybox), row for row the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from sys import intern
from typing import Final, Literal, NamedTuple

from parsers.errors import ParseError
from parsers.numbers import bounded_int

SOURCE: Final = "df"
# `df -k` counts 1024-byte blocks (POSIX: -k sets the unit to 1024 bytes)
KIB: Final = 1024


class DfRow(NamedTuple):
    """One filesystem. Units per `Df.unit`: bytes for -kP, inodes for -iP.

    None where df printed '-' (GNU df -i on filesystems without inode counts may).
    `total - used` is the free count including blocks reserved for root;
    `available` is what unprivileged users can still use.
    """

    device: str
    mountpoint: str
    total: int | None
    used: int | None
    available: int | None


@dataclass(frozen=True, slots=True)
class Df:
    """Parsed df output: rows in df's order (the mount table's order).

    `skipped` says why rows were left out (each reason quotes the lines): one odd mount
    must not cost the host every filesystem metric, or its disk-full alerts.
    """

    unit: Literal["bytes", "inodes"]
    rows: tuple[DfRow, ...]
    skipped: tuple[str, ...] = ()


# GNU coreutils 8.21+: `-P` and `--output` are mutually exclusive; with `-k` the size,
# used and avail columns are in 1024-byte blocks as with `-kP`, and the mount point is
# the last column, not padded, so it may hold spaces as with -P
OUTPUT_COLUMNS: Final = "source,size,used,avail,itotal,iused,iavail,target"
_OUTPUT_HEADER: Final = ["Filesystem", "1K-blocks", "Used", "Avail", "Inodes", "IUsed", "IFree"]
_OUTPUT_HEADER_END: Final = ["Mounted", "on"]


def parse_space(text: str) -> Df:
    """The `df` section: `df -kP`, or the block columns of `df -k --output=…`."""
    return _parse_output(text, 1) if _is_output(text) else parse(text)


def parse_inodes(text: str) -> Df:
    """The `df_inodes` section: `df -iP`, or the inode columns of `df -k --output=…`."""
    return _parse_output(text, 4) if _is_output(text) else parse(text)


def _is_output(text: str) -> bool:
    return text.split("\n", 1)[0].split() == [*_OUTPUT_HEADER, *_OUTPUT_HEADER_END]


def _parse_output(text: str, first: int) -> Df:
    """One half of `--output` rows, as the -P line of the same filesystem would give it:
    the three counts from column `first` on (1: blocks, 4: inodes), device, mount point."""
    unit: Literal["bytes", "inodes"] = "bytes" if first == 1 else "inodes"
    scale = KIB if unit == "bytes" else 1
    rows, skipped = _rows(
        [line for line in text.split("\n")[1:] if line.strip()],
        lambda line: _output_row(line, first, scale),
    )
    if skipped and not rows:
        raise skipped[0]
    return Df(unit, tuple(rows), tuple(str(e) for e in skipped))


def _output_row(line: str, first: int, scale: int) -> DfRow:
    fields = line.split(None, 7)
    if len(fields) != 8:
        raise ParseError(SOURCE, "expected 8 columns ending in a mount point", line)
    # all six counts must be counts, the other half's too: a device name with a space
    # shifts every column, as the -P parsers catch by the percentage column
    for other in (*fields[1:first], *fields[first + 3 : 7]):
        if other != "-":
            bounded_int(other, SOURCE, line, "count is not an integer")
    return _counted(fields[0], fields[first : first + 3], fields[7], scale, line)


def parse(text: str) -> Df:
    lines = text.split("\n")
    if not lines or not lines[0].startswith("Filesystem"):
        raise ParseError(SOURCE, "no df header", lines[0] if lines else "")
    header = lines[0].split()
    if len(header) < 2 or header[1] not in ("1024-blocks", "Inodes"):
        raise ParseError(SOURCE, "expected a -kP or -iP header", lines[0])
    unit: Literal["bytes", "inodes"] = "bytes" if header[1] == "1024-blocks" else "inodes"
    scale = KIB if unit == "bytes" else 1
    rows, skipped = _rows(
        [line for line in lines[1:] if line.strip()], lambda line: _row(line, scale)
    )
    if skipped and not rows:
        raise skipped[0]  # nothing usable: the whole section is wrong, say so loudly
    return Df(unit, tuple(rows), tuple(str(e) for e in skipped))


def _rows(lines: list[str], row_of: Callable[[str], DfRow]) -> tuple[list[DfRow], list[ParseError]]:
    """Rows that parse; a line that does not is skipped with its reason.

    busybox df prints a mount point raw, so a newline in it (GNU df prints '?') splits the
    row: the first part looks like a whole row with a cut-short mount point that may name
    another mount, the rest parses as nothing. Both go; real mounts never have newlines.
    """
    rows: list[_Parsed] = []
    skipped: list[ParseError] = []
    after_row = False  # the line before was kept as a row: a bad line may continue it
    broken: list[str] = []  # lines of one row a newline split, while more may follow
    for line in lines:
        try:
            row = row_of(line)
        except ParseError as exc:
            if broken:
                broken.append(line)
            elif after_row:
                broken = [rows.pop().line, line]
            else:
                skipped.append(exc)
            after_row = False
            continue
        if broken:
            skipped.append(_split(broken))
            broken = []
        rows.append(_Parsed(row, line))
        after_row = True
    if broken:
        skipped.append(_split(broken))
    return [r.row for r in rows], skipped


class _Parsed(NamedTuple):
    row: DfRow
    line: str


def _split(lines: list[str]) -> ParseError:
    return ParseError(SOURCE, "row skipped: mount point split by a newline", "\n".join(lines))


def _row(line: str, scale: int) -> DfRow:
    # -P keeps one filesystem per line; the mount point is everything after the 5th
    # field, so it may contain spaces (the device name may not)
    fields = line.split(None, 5)
    if len(fields) != 6 or (not fields[4].endswith("%") and fields[4] != "-"):
        raise ParseError(SOURCE, "expected 6 columns ending in a mount point", line)
    return _counted(fields[0], fields[1:4], fields[5], scale, line)


def _counted(device: str, counts: list[str], mountpoint: str, scale: int, line: str) -> DfRow:
    total, used, avail = (
        None if f == "-" else bounded_int(f, SOURCE, line, "count is not an integer") * scale
        for f in counts
    )
    # interned as /proc/mounts' fields are (parsers/proc_mounts.py): kept between slow
    # rounds for every host, and mostly the same across a fleet
    return DfRow(intern(device), intern(mountpoint), total, used, avail)
