from __future__ import annotations

import pytest

from parsers import cmd_systemctl_failed
from parsers.cmd_systemctl_failed import MAX_NAME_CHARS, MAX_NAMES
from parsers.errors import ParseError

# `sudo systemctl list-units --failed` on an Ubuntu live ISO, as pasted in a public GitHub
# issue (found with the code search; header and legend lines left out): the terminal form
# with the "●" marker and a description cut at the screen edge. This VM has no systemd.
TERMINAL = (
    "● casper-md5check.service loaded failed failed casper-md5check Verify Live ISO >\n"
    "● networking.service      loaded failed failed Raise network interfaces\n"
)


def test_terminal_capture_with_markers() -> None:
    failed = cmd_systemctl_failed.parse(TERMINAL)
    assert failed.count == 2
    assert failed.names == ("casper-md5check.service", "networking.service")


def test_plain_output_and_not_found_units() -> None:
    text = (
        "backup.service loaded failed failed Backup job\nx.mount not-found failed failed x.mount\n"
    )
    assert cmd_systemctl_failed.parse(text).names == ("backup.service", "x.mount")


def test_no_output_is_no_failed_unit() -> None:
    failed = cmd_systemctl_failed.parse("")
    assert failed.count == 0 and failed.names == ()


def test_names_are_capped_but_every_unit_is_counted() -> None:
    text = "".join(f"u{i}.service loaded failed failed d\n" for i in range(MAX_NAMES + 30))
    failed = cmd_systemctl_failed.parse(text)
    assert failed.count == MAX_NAMES + 30 and len(failed.names) == MAX_NAMES


def test_control_characters_are_escaped_and_long_names_cut() -> None:
    text = (
        "a\x1b[2Jb\x9b.service loaded failed failed x\n" + "z" * 5000 + " loaded failed failed x\n"
    )
    first, second = cmd_systemctl_failed.parse(text).names
    assert first == "a\\x1b[2Jb\\x9b.service"
    assert second == "z" * MAX_NAME_CHARS


@pytest.mark.parametrize("text", ["foo.service loaded\n", "● \n● a b c\n"])
def test_short_lines_raise(text: str) -> None:
    with pytest.raises(ParseError, match="systemctl"):
        cmd_systemctl_failed.parse(text)
