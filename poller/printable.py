"""Target text made safe for a terminal or a log file: control characters escaped.

Hostnames from uname, os-release names, mount points, interface names, alert messages and
error reasons that quote a target's output all come from machines sshmon does not trust.
Printed raw, `\\x1b[5m` makes an operator's terminal blink, `\\x1b]0;owned\\x07` retitles
the window, a newline in a mount point forges a log line, and some terminals answer
certain sequences by typing into the shell. Every printer of target text (the CLI, the log
formatter below) passes it through `printable`, the one place that decides what is shown.
"""

from __future__ import annotations

import logging
from typing import Final

# C0 (newline and tab included: one field is one line), DEL and C1 (0x9b is a one-byte
# CSI on terminals that honour 8-bit controls). Shown the way Python spells them, so the
# operator sees exactly which byte the target sent.
_CONTROLS: Final = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
_ESCAPED: Final = {code: f"\\x{code:02x}" for code in _CONTROLS}


def printable(text: str) -> str:
    """`text` with every control character shown as `\\xNN`; everything else unchanged."""
    return text.translate(_ESCAPED)


class PrintableFormatter(logging.Formatter):
    """Log lines carry target text in their message and its arguments: escape them after
    %-formatting, so neither a format string nor an argument can put a raw control character
    in the log. Traceback lines are escaped one by one and keep their line breaks."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: logging._SysExcInfoType) -> str:
        return printable_lines(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return printable_lines(super().formatStack(stack_info))


def printable_lines(text: str) -> str:
    """Multi-line text (a traceback, a capture shown on a terminal): each line escaped,
    the line breaks kept."""
    return "\n".join(printable(line) for line in text.split("\n"))
