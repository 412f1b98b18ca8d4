from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from peer_fixtures import capture_section

from parsers import cmd_df
from parsers.errors import ParseError
from parsers.frame import Section
from poller.collectors import registry as sections

FIXTURES = Path(__file__).parent.parent / "fixtures" / "cmd"


def test_real_blocks_capture() -> None:
    df = cmd_df.parse(capture_section("df"))
    root = next(r for r in df.rows if r.mountpoint == "/")
    assert df.unit == "bytes" and root.device == "/dev/vda"
    assert root.total is not None and root.used is not None and root.available is not None
    assert root.used + root.available <= root.total and root.total % 1024 == 0


def test_real_inodes_capture() -> None:
    df = cmd_df.parse(capture_section("df_inodes"))
    root = next(r for r in df.rows if r.mountpoint == "/")
    assert df.unit == "inodes" and root.total == root.used + root.available  # type: ignore[operator]


def test_mountpoint_with_spaces_is_kept_whole() -> None:
    text = (
        "Filesystem 1024-blocks Used Available Capacity Mounted on\n"
        "/dev/sdb1 100 40 60 40% /media/USB Stick  2\n"
    )
    [row] = cmd_df.parse(text).rows
    assert row.mountpoint == "/media/USB Stick  2" and row.total == 102400


def test_dash_counts_are_none() -> None:
    text = "Filesystem Inodes IUsed IFree IUse% Mounted on\nfoo - - - - /x\n"
    [row] = cmd_df.parse(text).rows
    assert (row.total, row.used, row.available) == (None, None, None)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("/dev/sda1 1 1 1 1% /\n", id="no-header"),
        pytest.param("Filesystem 1K-blocks Used Available Use% Mounted on\n", id="not-posix"),
        pytest.param(
            "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1 1 1 1%\n",
            id="no-mountpoint",
        ),
        pytest.param(
            "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/x a 1 1 1% /\n",
            id="not-a-number",
        ),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="df"):
        cmd_df.parse(text)


@pytest.mark.parametrize("capture", ["df-kP", "df-iP"])
def test_busybox_mount_point_with_a_newline_costs_only_its_own_row(capture: str) -> None:
    """Issue 14.4: busybox prints the mount point raw, so a newline splits its row; that
    used to fail the whole section and drop every filesystem metric of the host."""
    df = cmd_df.parse((FIXTURES / f"{capture}.busybox-newline-mount").read_text())
    mounts = [r.mountpoint for r in df.rows]
    assert mounts == ["/dev", "/dev/shm", "/", "/dev/shm", "/sys/fs/cgroup"]
    root = next(r for r in df.rows if r.mountpoint == "/")
    assert root.device == "/dev/vda" and root.total is not None
    # the cut-short half (`/tmp/hostile-mnt/usb`) is not kept as a mount of its own
    [reason] = df.skipped
    assert reason.startswith("df: row skipped: mount point split by a newline: ")
    assert "/tmp/hostile-mnt/usb\\nstick" in reason


@pytest.mark.parametrize(
    ("body", "mounts", "skipped"),
    [
        pytest.param(
            "/dev/a 1 1 1 1% /a\nx\ny\n/dev/b 1 1 1 1% /b\n", ["/b"], 1, id="two-newlines"
        ),
        pytest.param("garbage\n/dev/b 1 1 1 1% /b\n", ["/b"], 1, id="bad-first-row"),
        pytest.param("/dev/b 1 1 1 1% /b\n/dev/a 1 1 1 1% /a\nx\n", ["/b"], 1, id="at-the-end"),
    ],
)
def test_bad_rows_are_skipped_with_a_reason(body: str, mounts: list[str], skipped: int) -> None:
    df = cmd_df.parse("Filesystem 1024-blocks Used Available Capacity Mounted on\n" + body)
    assert [r.mountpoint for r in df.rows] == mounts
    assert len(df.skipped) == skipped and all(r.startswith("df: ") for r in df.skipped)


def test_a_section_with_skipped_rows_keeps_its_reading_and_says_why() -> None:
    text = (FIXTURES / "df-kP.busybox-newline-mount").read_text()
    parsed = sections.parse_all({"df": Section("df", text, 0)})
    assert len(parsed.readings["df"].rows) == 5  # type: ignore[attr-defined]
    assert parsed.failures["df"].startswith("kept 5 of 6 rows; df: row skipped: ")


def _gnu(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_one_gnu_df_gives_the_rows_of_both_posix_calls() -> None:
    """`df -k --output=…` (the probe's first try) against `df -kP` and `df -iP` of the same
    moment on this VM, with a mount point holding two spaces and one a newline
    (tests/fixtures/README.md): row for row the same readings, hence the same points."""
    out = _gnu("df-k-output.gnu")
    space, inodes = cmd_df.parse(_gnu("df-kP.gnu")), cmd_df.parse(_gnu("df-iP.gnu"))
    assert cmd_df.parse_space(out) == space and space.unit == "bytes"
    assert cmd_df.parse_inodes(out) == inodes and inodes.unit == "inodes"
    assert "/tmp/c12a/usb stick  2" in {r.mountpoint for r in space.rows}
    assert len(space.rows) == len(inodes.rows) == 6 and not space.skipped
    # through the sections' own parsers, as the poller parses them
    both = sections.parse_all({n: Section(n, out, 0) for n in ("df", "df_inodes")})
    posix = sections.parse_all(
        {
            "df": Section("df", _gnu("df-kP.gnu"), 0),
            "df_inodes": Section("df_inodes", _gnu("df-iP.gnu"), 0),
        }
    )
    assert both == posix and set(both.readings) == {"df", "df_inodes"}


def test_posix_output_still_parses_in_each_section() -> None:
    """Where `--output` is refused (busybox) the sections hold the two POSIX outputs."""
    assert cmd_df.parse_space(_gnu("df-kP.gnu")) == cmd_df.parse(_gnu("df-kP.gnu"))
    assert cmd_df.parse_inodes(_gnu("df-iP.gnu")) == cmd_df.parse(_gnu("df-iP.gnu"))


def test_output_rows_that_do_not_parse_are_skipped_with_their_reason() -> None:
    header = "Filesystem 1K-blocks Used Avail Inodes IUsed IFree Mounted on\n"
    # (a bad line right after a row would be taken for the rest of that row, as with -P)
    text = header + "my dev 4 2 2 10 1 9 /x\n/dev/a 4 2 2 10 1 9 /\n/dev/b 8 - - - - - /y\n"
    space = cmd_df.parse_space(text)
    assert [r.mountpoint for r in space.rows] == ["/", "/y"]
    assert space.rows[1] == cmd_df.DfRow("/dev/b", "/y", 8192, None, None)
    assert "count is not an integer" in space.skipped[0]
    # a device name with a space shifts the columns: skipped from both halves
    inodes = cmd_df.parse_inodes(text)
    assert inodes.rows[0] == cmd_df.DfRow("/dev/a", "/", 10, 1, 9) and len(inodes.skipped) == 1
    with pytest.raises(ParseError):
        cmd_df.parse_space(header + "/dev/a 4 2 2 10 1 9\n")  # no mount point


def test_live_gnu_df_output_matches_the_posix_calls_here() -> None:
    """On this machine, now: the one GNU df and the two POSIX ones give the same readings.
    Used and free counts move while anything writes, so the comparison is taken when
    both POSIX calls return the same before and after the one in between."""
    env = {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}

    def df(*args: str) -> str:
        return subprocess.run(["df", *args], capture_output=True, text=True, env=env).stdout

    for _ in range(50):
        k1, i1 = df("-kP"), df("-iP")
        out = df("-k", f"--output={cmd_df.OUTPUT_COLUMNS}")
        if (k1, i1) == (df("-kP"), df("-iP")):
            break
    else:
        pytest.skip("the filesystems kept changing between two df calls")
    assert cmd_df.parse_space(out) == cmd_df.parse(k1)
    assert cmd_df.parse_inodes(out) == cmd_df.parse(i1)
