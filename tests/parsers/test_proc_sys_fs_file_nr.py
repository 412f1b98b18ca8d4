from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import proc_sys_fs_file_nr
from parsers.errors import ParseError


def test_real_capture() -> None:
    fds = proc_sys_fs_file_nr.parse(capture_section("file_nr"))
    assert 0 < fds.allocated < fds.maximum and fds.unused == 0


def test_64bit_maximum() -> None:
    # fs.file-max defaults to LONG_MAX on some distributions (systemd 240+ sets it)
    assert proc_sys_fs_file_nr.parse("5\t0\t9223372036854775807\n").maximum == 2**63 - 1


@pytest.mark.parametrize("text", ["", "1 0", "1 0 x", "1 2 3 4"])
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="file-nr"):
        proc_sys_fs_file_nr.parse(text)
