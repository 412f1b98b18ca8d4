"""Cutting one poll's framed probe output into sections (parsers/frame.py)."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import frame
from poller import probe
from poller.collectors import registry

NONCE = "0123456789abcdef"
PATHS = {path: name for name, path in probe.FAST_FILES.items()}


def framed(name: str, text: str, rc: int = 0, nonce: str = NONCE) -> str:
    """What the probe prints for one section (see poller/probe.py)."""
    return f"@@sshmon {nonce} begin {name}\n{text}\n@@sshmon {nonce} end {name} {rc}\n"


def done(nonce: str = NONCE) -> str:
    return f"@@sshmon {nonce} done\n"


@pytest.mark.parametrize(
    "text",
    ["a\nb\n", "no trailing newline", "", "\n\n", "line with @@sshmon in it\n"],
    ids=["lines", "no-newline", "empty", "blank-lines", "marker-lookalike"],
)
def test_section_text_comes_back_exactly(text: str) -> None:
    frames = frame.split(framed("df", text, rc=1) + done(), NONCE, PATHS)
    assert frames.complete
    assert frames.sections["df"] == frame.Section("df", text, 1)


def test_banner_and_a_late_answer_to_an_older_poll_are_ignored() -> None:
    output = (
        "Welcome to host\n" + framed("uname", "old", nonce="ffff") + framed("uname", "new") + done()
    )
    assert frame.split(output, NONCE, PATHS).sections["uname"].text == "new"


def test_truncated_section_is_dropped_not_shortened() -> None:
    output = (
        framed("uname", "Linux\n")
        + "@@sshmon 0123456789abcdef begin df\nFilesystem 1024-blocks\n/dev/sda 10"
    )
    frames = frame.split(output, NONCE, PATHS)
    assert set(frames.sections) == {"uname"} and not frames.complete


def test_mangled_end_marker_costs_only_its_section() -> None:
    broken = framed("mounts", "a b c\n").replace(" end mounts", " ned mounts")
    frames = frame.split(broken + framed("df", "x\n") + done(), NONCE, PATHS)
    assert set(frames.sections) == {"df"} and frames.complete


def test_tail_output_is_cut_into_files_and_dev_null_is_skipped() -> None:
    tail = (
        "==> /proc/loadavg <==\n0.1 0.2 0.3 1/2 3\n\n"
        "==> /proc/uptime <==\n\n"  # an empty file
        "==> /proc/sys/fs/file-nr <==\n1\t0\t9\n\n"
        "==> /dev/null <==\n"
    )
    sections = frame.split(framed("fast", tail, rc=1) + done(), NONCE, PATHS).sections
    assert {k: v.text for k, v in sections.items()} == {
        "loadavg": "0.1 0.2 0.3 1/2 3\n",
        "uptime": "",
        "file_nr": "1\t0\t9\n",
    }


def test_real_probe_output_from_dash_round_trips() -> None:
    result = subprocess.run(
        ["dash"], input=probe.script(NONCE, slow=True), capture_output=True, text=True, check=True
    )
    frames = frame.split(result.stdout, NONCE, PATHS)
    assert frames.complete
    with open("/proc/version") as f:
        assert f.read().split()[2] in frames.sections["uname"].text
    assert frames.sections["meminfo"].text.startswith("MemTotal:")
    # optional: absent on some hosts without anything being wrong (PSI, IPv6, conntrack,
    # /proc/mdstat)
    optional = {name for name, s in registry.SOURCES.items() if s.optional}
    assert set(probe.FAST_FILES) - set(frames.sections) <= optional


def test_no_frames_at_all_is_a_parse_error() -> None:
    with pytest.raises(frame.ParseError, match="no framed probe output"):
        frame.require(frame.split("garbage\n", NONCE, PATHS))


@given(st.text())
def test_any_output_gives_frames(output: str) -> None:
    frames = frame.split(output, NONCE, PATHS)
    assert isinstance(frames, frame.Frames)


def test_a_textfile_cannot_stand_in_for_a_proc_file() -> None:
    """User .prom files come after /proc in the tail; a header line inside one (or in a
    file name) must not replace the real section."""
    text = (
        "==> /proc/loadavg <==\n1.00 2.00 3.00 1/100 42\n\n"
        "==> /dev/null <==\n\n"
        "==> /srv/tf/a.prom <==\nok 1\n==> /proc/loadavg <==\n9 9 9 9/9 9\n\n"
        "==> /srv/tf/b.prom <==\nb 2\n"
    )
    out = frame.split_tail(text, {"/proc/loadavg": "loadavg"}, "/srv/tf")
    assert out["loadavg"].text == "1.00 2.00 3.00 1/100 42\n"
    assert out["textfile:a.prom"].text == "ok 1\n"
    assert out["textfile:b.prom"].text == "b 2\n"
