from __future__ import annotations

import platform

import pytest
from peer_fixtures import capture_section

from parsers import cmd_uname
from parsers.errors import ParseError


def test_real_capture() -> None:
    uname = cmd_uname.parse(capture_section("uname"))
    assert uname.sysname == "Linux" and uname.machine == "x86_64"
    assert uname.version is not None and uname.version.startswith("#")


def test_matches_this_machine_when_run_live() -> None:
    info = platform.uname()
    text = f"{info.system} {info.node} {info.release} {info.machine}\n{info.version}\n"
    uname = cmd_uname.parse(text)
    assert (uname.release, uname.version) == (info.release, info.version)


def test_version_line_is_optional() -> None:
    assert cmd_uname.parse("Linux h 5.10.0 aarch64\n").version is None


@pytest.mark.parametrize("text", ["", "Linux h 5.10\n", "Linux h 5.10 x86_64 extra\n"])
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="uname"):
        cmd_uname.parse(text)
