"""Sections from a saved /proc tree or a saved probe capture, for `sshmon replay` and tests.

The only I/O on the parsing path lives here: parsers/ stays pure.
"""

from __future__ import annotations

from pathlib import Path

from parsers.frame import MARK, Section, split
from poller.collectors.registry import SOURCES
from poller.probe import FALLBACK_FILES, FAST_FILES, SLOW_FILES

_FAST_PATHS = {path: name for name, path in FAST_FILES.items()}
# commands that only filter files with `grep -H` (/proc/net/udp, udp6): a tree has them
_FILTERED_FILES = {name: s.reads for name, s in SOURCES.items() if s.command and s.reads}


def sections_from_root(root: Path) -> dict[str, Section]:
    """Read ROOT/proc/stat, ROOT/etc/os-release, … as the probe would on a target.

    A missing or unreadable file is simply absent, as on a target without it; command
    sections (df, uname, cpuinfo) are absent because no command runs against a tree,
    except those that only filter files (grep -H of /proc/net/udp, udp6), which get the
    files' whole text in grep's layout.
    """
    sections: dict[str, Section] = {}
    for name, paths in _FILTERED_FILES.items():
        grepped = _as_grep_h(root, paths)
        if grepped is not None:
            sections[name] = Section(name, grepped)
    for name, path in (*FAST_FILES.items(), *SLOW_FILES.items()):
        raw = _read(root, path)
        if raw is None and name in FALLBACK_FILES:
            raw = _read(root, FALLBACK_FILES[name])
        if raw is not None:
            sections[name] = Section(name, raw.decode("utf-8", errors="replace"))
    return sections


def _as_grep_h(root: Path, paths: tuple[str, ...]) -> str | None:
    """The files' lines as `grep -H` prints them (PATH:LINE), unfiltered; None if none of
    the files is in the tree."""
    out: list[str] = []
    for path in paths:
        raw = _read(root, path)
        if raw is not None:
            text = raw.decode("utf-8", errors="replace")
            out += [f"{path}:{line}\n" for line in text.split("\n") if line]
    return "".join(out) if out else None


def _read(root: Path, path: str) -> bytes | None:
    try:
        return (root / path.lstrip("/")).read_bytes()
    except OSError:
        return None


def sections_from_capture(text: str) -> dict[str, Section]:
    """Sections of one poll's raw framed output (`sshmon probe --raw`); {} if none."""
    prefix = f"{MARK} "
    for line in text.split("\n"):
        if line.startswith(prefix):
            words = line.split()
            if len(words) >= 3 and words[2] == "begin":
                return dict(split(text, words[1], _FAST_PATHS).sections)
    return {}
