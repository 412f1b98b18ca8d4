"""Split one poll's framed probe output into per-section text (see poller/probe.py).

Pure: takes the decoded output and the poll's nonce, returns sections. Anything outside
the frames (a login banner, a motd printed by a shell rc file) is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from parsers.errors import ParseError

MARK: Final = "@@sshmon"
_TAIL_HEADER = re.compile(r"^==> (.+) <==$")


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


def split(output: str, nonce: str, fast_paths: dict[str, str]) -> Frames:
    """Cut framed output into sections.

    `fast_paths` maps file path -> section name for the files the `fast` frame holds as
    `tail -n +1` output. A frame that was begun but never ended (output cut off) is
    dropped: a truncated section must not parse as a short but valid one.
    """
    begin = f"{MARK} {nonce} begin "
    end = f"{MARK} {nonce} end "
    done = f"{MARK} {nonce} done"
    sections: dict[str, Section] = {}
    complete = False
    current: str | None = None
    body: list[str] = []
    for line in output.split("\n"):
        if current is None:
            if line.startswith(begin):
                current = line[len(begin) :].strip()
                body = []
            elif line == done:
                complete = True
                break
            continue
        if line.startswith(end):
            rest = line[len(end) :].split()
            rc = _int_or_none(rest[1]) if len(rest) == 2 and rest[0] == current else None
            # the end marker is printed after a newline of its own, which the split on
            # "\n" already consumed: joining the body lines restores the text exactly
            text = "\n".join(body)
            if current == "fast":
                sections.update(split_tail(text, fast_paths))
            else:
                sections[current] = Section(current, text, rc)
            current = None
        else:
            body.append(line)
    return Frames(sections, complete)


def split_tail(text: str, paths: dict[str, str]) -> dict[str, Section]:
    """Cut `tail -n +1 f1 f2 …` output at its `==> path <==` headers.

    GNU and busybox tail put a blank line before every header but the first; it is not part
    of the file. Headers naming a path not in `paths` (e.g. /dev/null) are skipped.
    """
    out: dict[str, Section] = {}
    name: str | None = None
    body: list[str] = []

    def close() -> None:
        if name is not None:
            lines = body[:-1] if body and body[-1] == "" else body
            out[name] = Section(name, "\n".join(lines) + ("\n" if lines else ""))

    for line in text.split("\n"):
        header = _TAIL_HEADER.match(line)
        if header and (header.group(1) in paths or header.group(1) == "/dev/null"):
            close()
            name = paths.get(header.group(1))
            body = []
        elif name is not None:
            body.append(line)
    close()
    return out


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
