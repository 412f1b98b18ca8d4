from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import cmd_getconf_pagesize
from parsers.errors import ParseError


def test_real_capture() -> None:
    assert cmd_getconf_pagesize.parse(capture_section("pagesize")).bytes == 4096


@pytest.mark.parametrize("size", [4096, 16384, 65536])
def test_page_sizes_of_real_architectures(size: int) -> None:
    assert cmd_getconf_pagesize.parse(f"{size}\n").bytes == size


@pytest.mark.parametrize("text", ["", "undefined\n", "0\n", "4095\n", "3000\n", "-4096\n",
                                  str(2**40) + "\n"])  # fmt: skip
def test_not_a_page_size_raises(text: str) -> None:
    with pytest.raises(ParseError, match="PAGESIZE"):
        cmd_getconf_pagesize.parse(text)
