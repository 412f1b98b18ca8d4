"""The unit of stored data: one value of one metric of one host at one time."""

from __future__ import annotations

from typing import NamedTuple


class Point(NamedTuple):
    """One derived sample, as written to the store.

    `dev` is the interface, mount point or block device the value belongs to,
    '' for host-wide metrics; `ts` is seconds since the epoch (UTC).
    """

    metric: str
    host: str
    dev: str
    ts: float
    value: float
