"""printable: what target text looks like on a terminal or in a log line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from poller.printable import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("web-1", "web-1", id="plain"),
        pytest.param("Débian ✓ 日本", "Débian ✓ 日本", id="unicode-kept"),
        pytest.param("\x1b[5mblink", "\\x1b[5mblink", id="csi"),
        pytest.param("\x1b]0;owned\x07", "\\x1b]0;owned\\x07", id="osc-title"),
        pytest.param("a\nb\tc\rd", "a\\x0ab\\x09c\\x0dd", id="line-breaks"),
        pytest.param("\x00\x7f", "\\x00\\x7f", id="nul-del"),
        pytest.param("\x9b5m\x85", "\\x9b5m\\x85", id="c1"),
        pytest.param("[bold]x[/]", "[bold]x[/]", id="markup-is-not-ours-to-escape"),
    ],
)
def test_control_characters_are_shown_as_hex(text: str, shown: str) -> None:
    assert printable(text) == shown


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in printable(text))
