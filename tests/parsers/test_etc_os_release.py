from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import etc_os_release
from parsers.errors import ParseError


def test_real_capture() -> None:
    osr = etc_os_release.parse(capture_section("os_release"))
    assert osr.fields["ID"] == "debian" and osr.fields["VERSION_ID"] == "12"
    assert osr.pretty_name == "Debian GNU/Linux 12 (bookworm)"


def test_quotes_and_escapes_follow_os_release_5() -> None:
    text = 'NAME="My \\"OS\\""\nID=\'plain\'\nVERSION_ID=1.2\n# a comment\n\nX="a\\\\b"\n'
    fields = etc_os_release.parse(text).fields
    assert fields == {"NAME": 'My "OS"', "ID": "plain", "VERSION_ID": "1.2", "X": "a\\b"}


def test_shell_syntax_is_never_evaluated() -> None:
    osr = etc_os_release.parse('NAME="$(reboot)`id`"\n')
    assert osr.fields["NAME"] == "$(reboot)`id`"


def test_pretty_name_falls_back_to_name_and_version() -> None:
    assert etc_os_release.parse("NAME=Alpine\nVERSION=3.19\n").pretty_name == "Alpine 3.19"
    assert etc_os_release.parse("ID=x\n").pretty_name is None


@pytest.mark.parametrize("text", ["NAME\n", "BAD KEY=1\n", "=value\n"])
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="os-release"):
        etc_os_release.parse(text)
