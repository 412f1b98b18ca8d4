"""Split one poll's framed probe output into per-section text (see poller/probe.py).

Pure: takes the decoded output and the poll's nonce, returns sections. Anything outside
the frames (a login banner, a motd printed by a shell rc file) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from parsers.errors import ParseError

MARK: Final = "@@sshmon"


@dataclass(frozen=True)
class Section:
    """Text of one probe section and the exit status of what produced it (None: not known)."""

    name: str
    text: str
    rc: int | None = None


@dataclass(frozen=True)
class Frames:
    """All sections of one poll; `complete` is False when the `done` marker never came."""

    sections: dict[str, Section] = field(default_factory=dict)
    complete: bool = False


TEXTFILE_SECTION: Final = "textfile:"  # + the file's name


def split(
    output: str, nonce: str, fast_paths: dict[str, str], textfile_dir: str | None = None
) -> Frames:
    """Cut framed output into sections.

    `fast_paths` maps file path -> section name for the files the `fast` frame holds as
    `tail -n +1` output. A frame that was begun but never ended (output cut off) is
    dropped: a truncated section must not parse as a short but valid one. `textfile_dir`:
    files `DIR/NAME.prom` in the tail output become sections `textfile:NAME.prom`.

    Works with str.find over the whole output rather than line by line: this runs for
    every poll of every host, and a line loop cost as much as parsing all the sections.
    """
    begin = f"{MARK} {nonce} begin "
    sections: dict[str, Section] = {}
    pos = _find_line(output, begin, 0)
    last_end = 0
    while pos >= 0:
        eol = output.find("\n", pos)
        if eol < 0:
            break
        name = output[pos + len(begin) : eol].strip()
        # the end marker follows a newline printed by the probe itself, so the text
        # between the begin line and it is the section's output exactly
        end_mark = f"\n{MARK} {nonce} end {name} "
        end = output.find(end_mark, eol)
        if end < 0:  # cut off or mangled: drop this section, keep looking for the next
            pos = _find_line(output, begin, eol)
            continue
        text = output[eol + 1 : end]
        rc_end = output.find("\n", end + len(end_mark))
        rc = _int_or_none(output[end + len(end_mark) : rc_end if rc_end >= 0 else None])
        if name == "fast":
            sections.update(split_tail(text, fast_paths, textfile_dir))
        else:
            sections[name] = Section(name, text, rc)
        last_end = end + len(end_mark)
        pos = _find_line(output, begin, last_end)
    complete = _find_line(output, f"{MARK} {nonce} done", last_end, whole=True) >= 0
    return Frames(sections, complete)


def _find_line(text: str, prefix: str, start: int, *, whole: bool = False) -> int:
    """Index of the next line that starts with `prefix` (or is exactly it, with whole)."""
    at = text.find(prefix, start)
    while at >= 0:
        after = at + len(prefix)
        at_line_start = at == 0 or text[at - 1] == "\n"
        if at_line_start and (not whole or after == len(text) or text[after] in "\r\n"):
            return at
        at = text.find(prefix, after)
    return -1


def split_tail(
    text: str, paths: dict[str, str], textfile_dir: str | None = None
) -> dict[str, Section]:
    """Cut `tail -n +1 f1 f2 …` output at its `==> path <==` headers.

    GNU and busybox tail put a blank line before every header but the first; it is not part
    of the file. Headers naming a path not in `paths` (e.g. /dev/null) end the previous
    file and are otherwise skipped.

    A section is never replaced by a later header of the same name: the /proc files come
    first in the tail, and a user's .prom file (or a file name) holding a line such as
    `==> /proc/meminfo <==` must not stand in for the real one.
    """
    prefix = textfile_dir.rstrip("/") + "/" if textfile_dir is not None else None
    headers = [
        h
        for h in _tail_headers(text)
        if h[2] in paths
        or h[2] == "/dev/null"
        or (prefix is not None and h[2].startswith(prefix) and h[2].endswith(".prom"))
    ]
    out: dict[str, Section] = {}
    for i, (_, body_start, path) in enumerate(headers):
        name = paths.get(path)
        if name is None and prefix is not None and path.startswith(prefix):
            name = TEXTFILE_SECTION + path[len(prefix) :]
        if name is None or name in out:
            continue
        stop = headers[i + 1][0] if i + 1 < len(headers) else len(text)
        body = text[body_start:stop]
        body = body[:-1] if body.endswith("\n") else body  # the separator line
        if body and not body.endswith("\n"):
            body += "\n"
        out[name] = Section(name, body)
    return out


def _tail_headers(text: str) -> list[tuple[int, int, str]]:
    """(header start, body start, path) of every `==> path <==` line, found with str.find:
    a multi-line regex costs ~90 µs per poll here, find about a tenth of that."""
    found = []
    at = 0 if text.startswith("==> ") else text.find("\n==> ")
    while at >= 0:
        start = at if at == 0 and text.startswith("==> ") else at + 1
        eol = text.find("\n", start)
        line = text[start : eol if eol >= 0 else len(text)]
        if line.endswith(" <==") and len(line) > 8:
            found.append((start, eol + 1 if eol >= 0 else len(text), line[4:-4]))
        at = text.find("\n==> ", start)
    return found


def require(frames: Frames, source: str = "probe") -> Frames:
    """Raise ParseError when no frame at all was found: the target did not run the probe."""
    if not frames.sections and not frames.complete:
        raise ParseError(source, "no framed probe output found")
    return frames


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
