"""The frame of a links section: where symlinks on the target resolve (`Source.links`).

The probe resolves each link with the shell's own `cd -P` (no process; see
poller/collectors/base.py `links_command`) and prints one line per link that leads to a
directory: `NAME PATH`, NAME the directory holding the link (`hwmon3` for
/sys/class/hwmon/hwmon3/device) and PATH where it resolves (`/sys/devices/platform/
coretemp.0`). A path may hold any byte but NUL, a newline included, so a line cannot
frame every path: the probe prints a link only when the line is printable ASCII (0x20 to
0x7e: spaces, no control character, no byte of a multibyte character) and the path at
most MAX_PATH bytes, and says nothing of the others (sysfs device paths are the kernel's
bus and device names: `0000:00:1d.0`, `coretemp.0`, `nvme0`). So no path can make up a
line for another link, and a line of any other shape did not come from the probe: it
fails the section.
"""

from __future__ import annotations

import re
from typing import Final

from parsers.errors import ParseError

# bytes of a resolved path the probe prints (sysfs device paths stay well under 300; the
# bound keeps a hostile tree's 4 KB paths out of labels and stored names)
MAX_PATH: Final = 1024
_PRINTABLE: Final = re.compile(r"[\x20-\x7e]*")
_LINE: Final = re.compile(rf"([\x21-\x2e\x30-\x7e]{{1,255}}) (/[\x20-\x7e]{{0,{MAX_PATH - 1}}})")


def parse(text: str, source: str) -> dict[str, str]:
    """NAME -> resolved path, in the target's order; ParseError on a line the probe cannot
    have printed or a NAME given twice."""
    out: dict[str, str] = {}
    for line in text.split("\n"):
        if not line:
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            raise ParseError(source, "not a NAME PATH line of printable ASCII", line)
        name, path = m.groups()
        if name in out:
            raise ParseError(source, "a link named twice", line)
        out[name] = path
    return out


def line(name: str, path: str) -> str | None:
    """The line the probe prints for the link in directory `name` resolving to `path`, or
    None where it prints nothing (replay --root frames a saved tree's links with it)."""
    text = f"{name} {path}"
    if len(path) > MAX_PATH or not _PRINTABLE.fullmatch(text):
        return None
    return text + "\n"
