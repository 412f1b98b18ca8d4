from __future__ import annotations

import pytest
from peer_fixtures import capture_section

from parsers import proc_uptime
from parsers.errors import ParseError


def test_real_capture() -> None:
    up = proc_uptime.parse(capture_section("uptime"))
    assert up.uptime_seconds > 0 and up.idle_seconds is not None


def test_idle_is_optional() -> None:
    assert proc_uptime.parse("12.5\n") == proc_uptime.Uptime(12.5, None)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("a b", id="words"),
        pytest.param("-1 2", id="negative"),
        pytest.param("inf 1", id="infinite"),
        pytest.param("nan", id="nan"),
        pytest.param("1 2 3", id="three-fields"),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="uptime"):
        proc_uptime.parse(text)
