from __future__ import annotations

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
