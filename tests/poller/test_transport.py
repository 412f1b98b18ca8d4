"""Reading one poll's framed output: marker split across reads, byte cap, early EOF."""

from __future__ import annotations

import asyncio

import pytest

from poller.errors import ProbeFailed
from poller.transport import ChannelClosed, read_frame

MARKER = b"@@sshmon 00ff done\n"


def _reader(*chunks: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    for chunk in chunks:
        reader.feed_data(chunk)
    if eof:
        reader.feed_eof()
    return reader


async def test_marker_split_across_reads_is_found() -> None:
    reader = asyncio.StreamReader()

    async def feed() -> None:
        for part in (b"section text\n@@sshmon 00", b"ff do", b"ne\n"):
            reader.feed_data(part)
            await asyncio.sleep(0)  # deliver as separate reads

    feeder = asyncio.create_task(feed())
    assert await read_frame(reader, MARKER, cap=1024) == b"section text\n" + MARKER
    await feeder


async def test_output_after_the_marker_is_not_part_of_the_poll() -> None:
    got = await read_frame(_reader(b"a\n" + MARKER + b"late"), MARKER, cap=1024)
    assert got == b"a\n" + MARKER


async def test_output_past_the_cap_fails_the_poll() -> None:
    with pytest.raises(ProbeFailed, match="exceeded the 100-byte cap"):
        await read_frame(_reader(b"x" * 101, eof=False), MARKER, cap=100)


async def test_output_of_exactly_the_cap_is_accepted() -> None:
    body = b"x" * (100 - len(MARKER))
    assert await read_frame(_reader(body + MARKER), MARKER, cap=100) == body + MARKER


async def test_eof_before_the_marker_says_how_much_came() -> None:
    with pytest.raises(ChannelClosed, match="after 5 bytes") as caught:
        await read_frame(_reader(b"12345"), MARKER, cap=100)
    assert caught.value.received == 5
