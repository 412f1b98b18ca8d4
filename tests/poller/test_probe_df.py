"""df in the slow round (poller/collectors/filesystem.py): blocks and inodes from one GNU
`df --output` process, the two POSIX calls where that option is refused (busybox), each
run through a real dash with a logging `df` in front of the real one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from parsers.cmd_df import Df
from parsers.frame import Section
from poller import probe
from poller.collectors.registry import parse_all

NONCE = "0123456789abcdef"


def _slow_round(
    tmp_path: Path, real_df: str
) -> tuple[dict[str, object], list[str], dict[str, Section]]:
    """(readings, the df command lines run, sections) of one slow round, with a `df` in
    PATH that logs its arguments and runs the shell text `real_df`."""
    bin_dir, log = tmp_path / "bin", tmp_path / "df.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "df"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {log}\n{real_df}\n')
    wrapper.chmod(0o755)
    out = subprocess.run(
        ["dash"],
        input=probe.script(NONCE, slow=True, rare=()),
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
    ).stdout
    sections = probe.split_output(out, NONCE).sections
    return parse_all(sections).readings, log.read_text().splitlines(), sections


def test_gnu_df_is_one_process_for_blocks_and_inodes(tmp_path: Path) -> None:
    readings, calls, sections = _slow_round(tmp_path, 'exec /usr/bin/df "$@"')
    assert calls == ["-k --output=source,size,used,avail,itotal,iused,iavail,target"]
    assert sections["df"].text == sections["df_inodes"].text  # printed twice, read once
    assert sections["df"].rc == sections["df_inodes"].rc == 0
    space, inodes = readings["df"], readings["df_inodes"]
    assert isinstance(space, Df) and isinstance(inodes, Df)
    assert (space.unit, inodes.unit) == ("bytes", "inodes")
    root = next(r for r in inodes.rows if r.mountpoint == "/")
    assert root.total == root.used + root.available  # type: ignore[operator]
    assert [r.mountpoint for r in space.rows] == [r.mountpoint for r in inodes.rows]


# busybox df refuses --output (status 1); a df that prints nothing for an option it does
# not know and succeeds must not cost the readings either
FALLBACKS = {
    "busybox": 'exec busybox df "$@"',
    "silent": 'case "$1" in --output*|-k) [ "$#" = 2 ] && exit 0 ;; esac; exec /usr/bin/df "$@"',
}


@pytest.mark.parametrize("kind", FALLBACKS)
def test_a_df_without_output_falls_back_to_the_two_posix_calls(tmp_path: Path, kind: str) -> None:
    if shutil.which("busybox") is None:
        pytest.skip("busybox not installed (apt-get install busybox)")
    readings, calls, sections = _slow_round(tmp_path, FALLBACKS[kind])
    assert [c.split()[0] for c in calls] == ["-k", "-kP", "-iP"]  # refused, then POSIX
    assert sections["df"].text.startswith("Filesystem")
    assert sections["df"].text.split("\n")[0].split()[1] == "1024-blocks"
    space, inodes = readings["df"], readings["df_inodes"]
    assert isinstance(space, Df) and isinstance(inodes, Df) and inodes.unit == "inodes"
    assert any(r.mountpoint == "/" for r in space.rows)
