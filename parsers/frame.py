"""Split one poll's framed probe output into per-section text (see poller/probe.py).

Pure: takes the decoded output and the poll's nonce, returns sections. Anything outside
the frames (a login banner, a motd printed by a shell rc file) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, NamedTuple

from parsers.errors import ParseError

MARK: Final = "@@sshmon"


class Section(NamedTuple):
    """Text of one probe section and the exit status of what produced it (None: not known).

    A NamedTuple, not a frozen dataclass: ~30 are made per poll of every host, and a
    frozen dataclass's __init__ (one object.__setattr__ per field) cost 7 us of them."""

    name: str
    text: str
    rc: int | None = None


_new_section: Final = tuple.__new__  # skips the NamedTuple's Python-level __new__


@dataclass(frozen=True)
class Frames:
    """All sections of one poll; `complete` is False when the `done` marker never came."""

    sections: dict[str, Section] = field(default_factory=dict)
    complete: bool = False


TEXTFILE_SECTION: Final = "textfile:"  # + the file's name


@dataclass(frozen=True, slots=True)
class HeadRead:
    """What one frame holding a `head -n 2147483647 FILES… /dev/null GLOBS… /dev/null`
    read (the probe's slow-round files, poller/probe.py): `paths` maps each plain file's
    path to its section, `globs` are (section, glob) in the order the probe passes them."""

    paths: Mapping[str, str]
    globs: tuple[tuple[str, str], ...] = ()


def split(
    output: str,
    nonce: str,
    fast_paths: Mapping[str, str],
    textfile_dir: str | None = None,
    *,
    globs: Sequence[tuple[str, str]] = (),
    reads: Mapping[str, HeadRead] | None = None,
) -> Frames:
    """Cut framed output into sections.

    `fast_paths` maps file path -> section name for the files the `fast` frame holds as
    `tail -n +1` output. A frame that was begun but never ended (output cut off) is
    dropped: a truncated section must not parse as a short but valid one. `textfile_dir`:
    files `DIR/NAME.prom` in the tail output become sections `textfile:NAME.prom`.
    `globs`: (section, glob) of the fast glob sources in the order the probe reads them;
    `reads`: frame name -> the files and globs of a frame that is one `head` over several
    sections (the slow round's files), cut the way the fast frame is. A glob section's
    text is the files it matched, as `tail_files` reads them back (see `split_tail`).

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
            sections.update(split_tail(text, fast_paths, textfile_dir, globs))
        elif reads and (read := reads.get(name)) is not None:
            sections.update(split_tail(text, read.paths, None, read.globs))
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
    text: str,
    paths: Mapping[str, str],
    textfile_dir: str | None = None,
    globs: Sequence[tuple[str, str]] = (),
) -> dict[str, Section]:
    """Cut `tail -n +1 f1 f2 …` output at its `==> path <==` headers.

    GNU and busybox tail put a blank line before every header but the first; it is not part
    of the file. Headers naming a path not in `paths` (e.g. /dev/null) end the previous
    file and are otherwise skipped.

    The fixed /proc files come first. A /proc section is never replaced by a later header
    of the same name, and once the files of the globs have begun no header is taken for a
    /proc file at all: a sysfs body, a file name or a user's .prom file holding a line such
    as `==> /proc/meminfo <==` must not stand in for the real one.

    After them come the `globs` ((section, glob) in the order the probe passes them) and
    then the textfile directory's `*.prom` (with globs in the plan, a `head` prints these,
    with tail's headers and blank lines: poller/probe.py GLOB_READER says why). The names
    in those headers are the target's (interface and cgroup names), and tail's format
    cannot tell a header from a body line that looks like one, so a header is taken for a
    glob only when
    - its path matches the glob (`*` is any run of characters but `/`), and
    - it comes after the last header taken, in the order the shell passes them: glob by
      glob, and within one glob sorted (`LC_ALL=C`, byte order).
    A body can therefore only make up files that sort after its own, never one that was
    already read, and the real file of the same name, coming later, replaces it. A glob
    file whose body holds a header-like line that was not taken is dropped whole (no
    sysfs or cgroup file has one), so `tail_files` reads each section back unambiguously.
    """
    order = _glob_order(tuple(globs), textfile_dir)
    cuts = _cuts(text, paths, order)
    out: dict[str, Section] = {}
    if not cuts:
        return out
    files: dict[int, dict[str, str]] = {}  # glob index -> path -> body, of the globs found
    stops = [cut[0] for cut in cuts[1:]]  # each body runs to the next header taken
    stops.append(len(text))
    for (_, body_start, name, at, path), stop in zip(cuts, stops, strict=True):
        if stop > body_start and text[stop - 1] == "\n":
            stop -= 1  # the separator line before the next header
        body = text[body_start:stop]
        if body and body[-1] != "\n":
            body += "\n"
        if name is not None:
            if name not in out:
                out[name] = _new_section(Section, (name, body, None))
        elif at >= 0:
            # a made-up file of this name came first: replaced (in its place)
            files.setdefault(at, {})[path] = body
    for at, (section, _) in enumerate(order) if files else ():
        found = files.get(at)
        if found is None:
            continue
        if section is None:  # the textfile directory: one section per .prom file
            prefix = textfile_dir.rstrip("/") + "/" if textfile_dir is not None else ""
            for path, body in found.items():
                name = TEXTFILE_SECTION + path[len(prefix) :]
                if name not in out:
                    out[name] = _new_section(Section, (name, body, None))
        elif joined := join_files(found.items()):
            prior = out.get(section)  # a section of several globs gathers them in order
            text_of = (prior.text if prior else "") + joined
            out[section] = _new_section(Section, (section, text_of, None))
    return out


_Cut = tuple[int, int, str | None, int, str]  # header start, body start, /proc section, glob, path


def _cuts(text: str, paths: Mapping[str, str], order: _Order) -> list[_Cut]:
    """The headers that end a file: /dev/null, the /proc files' and the globs' taken in order
    (see split_tail); every other header-like line is body text."""
    cuts: list[_Cut] = []
    last: tuple[int, str] | None = None  # (glob index, path) of the last glob header taken
    for start, body_start, path in _tail_headers(text):
        if path == "/dev/null" or path in paths:
            # after the globs began, a /proc header only ends the file it is found in
            cuts.append((start, body_start, paths.get(path) if last is None else None, -1, path))
            continue
        at = _glob_index(order, path, last)
        if at is not None:
            last = (at, path)
            cuts.append((start, body_start, None, at, path))
    return cuts


def join_files(files: Iterable[tuple[str, str]]) -> str:
    """The text of a glob section: `==> PATH <==` and the body of each file, in order,
    each body ending in a newline unless empty. A body holding a header-like line, or a
    path holding a newline, is left out: `tail_files` must read back exactly these files."""
    parts = []
    for path, body in files:
        if "\n" in path or ("==> " in body and _tail_headers(body)):
            continue
        parts.append(
            f"==> {path} <==\n{body}"
            if not body or body.endswith("\n")
            else f"==> {path} <==\n{body}\n"
        )
    return "".join(parts)


def tail_files(text: str) -> list[tuple[str, str]]:
    """(path, body) of every file in a glob section's text (`join_files`), in order."""
    headers = _tail_headers(text)
    return [
        (path, text[body_start : headers[i + 1][0] if i + 1 < len(headers) else len(text)])
        for i, (_, body_start, path) in enumerate(headers)
    ]


@lru_cache(maxsize=1024)
def glob_regex(glob: str) -> re.Pattern[str]:
    """A probe glob as a regex over whole paths: `*` is any run of characters but `/`."""
    return re.compile("[^/]*".join(re.escape(part) for part in glob.split("*")))


_Order = tuple[tuple[str | None, re.Pattern[str]], ...]  # (section, regex); None: textfile


@lru_cache(maxsize=256)
def _glob_order(globs: tuple[tuple[str, str], ...], textfile_dir: str | None) -> _Order:
    order: list[tuple[str | None, re.Pattern[str]]] = [(s, glob_regex(g)) for s, g in globs]
    if textfile_dir is not None:
        prefix = textfile_dir.rstrip("/") + "/"
        order.append((None, re.compile(re.escape(prefix) + r"[^/]*\.prom")))
    return tuple(order)


def _glob_index(order: _Order, path: str, last: tuple[int, str] | None) -> int | None:
    """The first glob at or after the last header's that matches `path` and sorts it after
    that header; a header equal to the last one (the same file again) keeps its glob."""
    same = None
    for at in range(last[0] if last is not None else 0, len(order)):
        if order[at][1].fullmatch(path) is None:
            continue
        if last is None or (at, path) > last:
            return at
        if (at, path) == last and same is None:
            same = at
    return same


def _tail_headers(text: str) -> list[tuple[int, int, str]]:
    """(header start, body start, path) of every `==> path <==` line. The lines after the
    first are found by one regex whose literal `\\n==> ` prefix the engine searches for
    in C: a multi-line `^==> ` regex cost ~90 us per poll here, a str.find loop 18 us, this
    12 us. A header line is `==> ` + a non-empty path + ` <==`, the path running to the
    last ` <==` of the line."""
    found = []
    if text.startswith("==> "):
        eol = text.find("\n")
        line = text[: eol if eol >= 0 else len(text)]
        if line.endswith(" <==") and len(line) > 8:
            found.append((0, eol + 1 if eol >= 0 else len(text), line[4:-4]))
    n = len(text)
    for m in _HEADER.finditer(text):
        start, eol = m.span()
        found.append((start + 1, eol + 1 if eol < n else n, m[1]))
    return found


# a header line after a newline; the lookahead leaves that newline for the next header
_HEADER: Final = re.compile(r"\n==> ([^\n]+) <==(?=\n|\Z)")


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
