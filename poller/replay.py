"""Sections from a saved /proc tree or a saved probe capture, for `sshmon replay` and tests.

The only I/O on the parsing path lives here: parsers/ stays pure.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from parsers import links
from parsers.frame import MARK, Section, join_files
from poller.collectors.registry import SOURCES
from poller.probe import DEFAULT_PLAN, Plan, split_output

# commands that only filter files with `grep -H` (/proc/net/udp, udp6): a tree has them
_FILTERED_FILES = {name: s.reads for name, s in SOURCES.items() if s.command and s.reads}
# commands that only resolve symlinks (`Source.links`, the hwmon chips' devices)
_LINKS = {name: s.links for name, s in SOURCES.items() if s.command and s.links}


def sections_from_root(root: Path, plan: Plan = DEFAULT_PLAN) -> dict[str, Section]:
    """Read ROOT/proc/stat, ROOT/etc/os-release, … as the probe would on a target.

    A missing or unreadable file is simply absent, as on a target without it; command
    sections (df, uname, cpuinfo) are absent because no command runs against a tree,
    except those that only filter files (grep -H of /proc/net/udp, udp6), which get the
    files' whole text in grep's layout, and those that only resolve symlinks (the hwmon
    chips' `device`), resolved in the tree. Glob sources are expanded under ROOT the way the
    target's shell would (sorted by bytes, as `LC_ALL=C` sorts them) and framed as the
    probe's reader frames them.
    """
    sections: dict[str, Section] = {}
    for name, paths in _FILTERED_FILES.items():
        grepped = _as_grep_h(root, paths)
        if grepped is not None:
            sections[name] = Section(name, grepped)
    for name, pattern in _LINKS.items():
        if name in plan.slow_commands and (resolved := _resolve_links(root, pattern)):
            sections[name] = Section(name, resolved)
    for name, path in (*plan.fast_files.items(), *plan.slow_files.items()):
        raw = _read(root, path)
        if raw is None and name in plan.fallback_files:
            raw = _read(root, plan.fallback_files[name])
        if raw is not None:
            sections[name] = Section(name, raw.decode("utf-8", errors="replace"))
    for name, globs in (*plan.fast_globs.items(), *plan.slow_globs.items()):
        text = join_files(f for g in globs for f in _glob_files(root, g))
        if text:
            sections[name] = Section(name, text)
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


def _resolve_links(root: Path, pattern: str) -> str:
    """The links `pattern` matches under root, framed as the probe's `cd -P` loop prints
    them (parsers/links.py): each resolved as node_exporter --path.sysfs resolves it
    (filepath.EvalSymlinks, on this machine), shown from the tree's root when it stays in
    the tree (a relative link, as sysfs has them) and as resolved when it leaves it."""
    base = os.fsencode(os.path.realpath(root))
    out = []
    for match in sorted(glob.glob(glob.escape(os.fsencode(root)) + os.fsencode(pattern))):
        resolved = os.path.realpath(match)
        if not os.path.isdir(resolved):
            continue
        inside = resolved.startswith(base + b"/")
        shown = resolved[len(base) :] if inside else resolved
        holder = os.path.basename(os.path.dirname(match))
        line = links.line(os.fsdecode(holder), os.fsdecode(shown))
        out.append(line or "")
    return "".join(out)


def _glob_files(root: Path, pattern: str) -> list[tuple[str, str]]:
    """(target path, body) of the files `pattern` matches under root. A file that exists
    but cannot be read (sysfs `speed` of a down interface: EINVAL) has an empty body, as
    the probe's `head` prints its header and nothing else."""
    base = os.fsencode(root)
    found = sorted(glob.glob(glob.escape(base) + os.fsencode(pattern)))
    files = []
    for match in found:
        if os.path.isdir(match):
            continue
        target = match[len(base) :].decode("utf-8", errors="replace")
        try:
            with open(match, "rb") as f:
                body = f.read()
        except OSError:
            body = b""
        files.append((target, body.decode("utf-8", errors="replace")))
    return files


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
                return dict(split_output(text, words[1]).sections)
    return {}
