from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import cmd_df
from parsers.errors import ParseError


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
