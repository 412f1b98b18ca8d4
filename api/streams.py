"""Open live streams: capped per client and in total, and ended when their session ends.

Each SSE stream holds a connection, a coroutine and a queue of up to 256 polls for as long
as the browser stays, so one client opening hundreds would take memory and file
descriptors from everyone. A stream beyond the caps is refused before it subscribes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class StreamRefused(Exception):
    """No room for another stream; `status` is 429 (this client) or 503 (everyone)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(eq=False)
class Ticket:
    client: str
    session: str | None
    # set by the stream once it has subscribed: ends it from outside (sign-out)
    stop: Callable[[], None] = field(default=lambda: None)


class LiveStreams:
    def __init__(self, max_total: int, max_per_client: int) -> None:
        self.max_total = max_total
        self.max_per_client = max_per_client
        self._open: set[Ticket] = set()
        self._per_client: dict[str, int] = {}

    @property
    def count(self) -> int:
        return len(self._open)

    def open(self, client: str, session: str | None = None) -> Ticket:
        """Admit one stream for `client` or raise StreamRefused saying which cap it hit."""
        if self._per_client.get(client, 0) >= self.max_per_client:
            raise StreamRefused(
                429,
                f"this client already has {self.max_per_client} live streams open "
                "(web.live.max_streams_per_client); close a tab",
            )
        if len(self._open) >= self.max_total:
            raise StreamRefused(
                503,
                f"the server is at its limit of {self.max_total} live streams "
                "(web.live.max_streams); try again later",
            )
        ticket = Ticket(client, session)
        self._open.add(ticket)
        self._per_client[client] = self._per_client.get(client, 0) + 1
        return ticket

    def close(self, ticket: Ticket) -> None:
        if ticket not in self._open:
            return
        self._open.discard(ticket)
        left = self._per_client[ticket.client] - 1
        if left:
            self._per_client[ticket.client] = left
        else:
            del self._per_client[ticket.client]

    def end_session(self, session: str) -> int:
        """Stop every stream opened under this session (it signed out); returns how many."""
        ending = [t for t in self._open if t.session == session]
        for ticket in ending:
            ticket.stop()
        return len(ending)
