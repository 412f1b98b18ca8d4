"""Properties every parser keeps on hostile input: a reading or a ParseError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peer_fixtures import capture_sections

from parsers.errors import ParseError
from poller.collectors.registry import PARSERS

_PARSERS = sorted(set(PARSERS.values()), key=lambda f: f.__module__)
_IDS = [f.__module__.rsplit(".", 1)[-1] for f in _PARSERS]
# glob-section parsers may say "none of my files were there" with None (unavailable:
# registry.parse_all); any other parser answers a reading or a ParseError
_MAY_FIND_NOTHING = frozenset({"parsers.sys_fs_cgroup"})

# text that looks like /proc: digits, words, separators, and real lines mixed up
_TOKENS = st.sampled_from(
    [
        *("cpu", "cpu0", ":", "kB", "=", "/", "|", "-1", "0", "1", "99999999999999999999"),
        *("nan", "inf", "some", "full", "avg10=1", "total=5", "Filesystem", "1024-blocks"),
        *("Inodes", "%", "processor", "\\040", '"', "'", "\\", "\x00", "é", "1e400", "1_0"),
        *("Tcp:", "lo:", " ", "\t", "\n"),
    ]
)


def _mutated(real: str) -> st.SearchStrategy[str]:
    """A real section with one slice replaced by a few random characters."""
    cut = st.integers(0, len(real))
    return st.tuples(cut, cut, st.text(max_size=8)).map(
        lambda t: real[: t[0]] + t[2] + real[t[1] :]
    )


_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(_TOKENS, max_size=80).map("".join),
    st.sampled_from(sorted({s.text for s in capture_sections().values()})).flatmap(_mutated),
)


@pytest.mark.parametrize("parse", _PARSERS, ids=_IDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT)
def test_any_text_gives_a_reading_or_parse_error(parse: object, text: str) -> None:
    try:
        reading = parse(text)  # type: ignore[operator]
    except ParseError as exc:
        assert len(str(exc)) < 500  # the quoted line is cut, never the whole input
    else:
        assert reading is not None or parse.__module__ in _MAY_FIND_NOTHING


@pytest.mark.parametrize("parse", _PARSERS, ids=_IDS)
@pytest.mark.parametrize(
    "line",
    [
        pytest.param("1 " * 500_000, id="million-chars-of-numbers"),
        pytest.param("a" * 1_000_000, id="million-chars-one-word"),
        pytest.param("x:" * 500_000, id="million-colons"),
        pytest.param('K="' + "\\" * 999_990 + '"', id="million-backslashes"),
    ],
)
def test_a_million_character_line_gives_a_reading_or_parse_error(
    parse: object, line: str
) -> None:
    # How long it takes (linear, not quadratic) is measured in bench/parser_worst_case.py:
    # a CPU-time limit here would measure the machine as much as the parser.
    with contextlib.suppress(ParseError):
        reading = parse(line)  # type: ignore[operator]
        assert reading is not None or parse.__module__ in _MAY_FIND_NOTHING
