from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import proc_mounts
from parsers.errors import ParseError


def test_real_capture_has_root_and_pseudo_filesystems() -> None:
    mounts = proc_mounts.parse(capture_section("mounts"))
    fstypes = mounts.fstype_by_mountpoint()
    assert fstypes["/"] == "ext4" and fstypes["/proc"] == "proc"


def test_octal_escapes_are_decoded() -> None:
    text = "/dev/sdb1 /mnt/my\\040disk\\011x ext4 rw 0 0\nserver:/a\\134b /n nfs4 ro 0 0\n"
    first, second = proc_mounts.parse(text).mounts
    assert first.mountpoint == "/mnt/my disk\tx"
    assert second.device == "server:/a\\b" and second.options == "ro"


def test_escaped_backslash_is_not_decoded_twice() -> None:
    # a literal backslash followed by "040" is written \134040 and must stay "\040"
    [mount] = proc_mounts.parse("a /x\\134040 ext4 rw 0 0\n").mounts
    assert mount.mountpoint == "/x\\040"


def test_later_mount_on_the_same_point_wins() -> None:
    text = "rootfs / rootfs rw 0 0\n/dev/sda1 / ext4 rw 0 0\n"
    assert proc_mounts.parse(text).fstype_by_mountpoint() == {"/": "ext4"}


def test_too_few_fields_raise() -> None:
    with pytest.raises(ParseError, match="mounts"):
        proc_mounts.parse("/dev/sda1 / ext4\n")


@pytest.mark.parametrize("odd", ["\x1c", "\x1e", "\x85", "\u2028", "\x0b", "\x0c"])
def test_only_newline_ends_a_line(odd: str) -> None:
    # str.splitlines() would cut this mount point in two and fail the whole section
    [mount] = proc_mounts.parse(f"/dev/sdb1 /mnt/a{odd}b ext4 rw 0 0\n").mounts
    assert mount.mountpoint == f"/mnt/a{odd}b"


def test_readonly_is_the_ro_option_of_the_mount_on_top() -> None:
    text = (
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "/dev/sdb1 /data ext4 ro,relatime,errors=remount-ro 0 0\n"
        "/dev/sdc1 /data xfs rw 0 0\n"  # mounted over it: the ro one is hidden
        "/dev/sdd1 /backup ext4 rw,errors=remount-ro 0 0\n"  # 'ro' only inside a value
    )
    ro = proc_mounts.parse(text).readonly_by_mountpoint()
    assert ro == {"/": False, "/data": False, "/backup": False}
    assert proc_mounts.parse(text.replace("xfs rw", "xfs ro")).readonly_by_mountpoint()["/data"]
