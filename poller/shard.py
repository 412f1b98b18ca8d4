"""Which hosts a poller owns when several share a fleet: `sshmon poll --shard K/N`.

Rendezvous (highest-random-weight) hashing: each host goes to the shard with the highest
hash(shard, host). Going from N to N+1 pollers moves only the ~1/(N+1) of hosts the new
shard wins, and every poller computes the same answer with no coordination.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import NamedTuple, TypeVar

_SPEC = re.compile(r"^(\d+)/(\d+)$")

T = TypeVar("T")


class Shard(NamedTuple):
    k: int  # 1-based, as the user writes it (K/N)
    n: int


def parse(spec: str) -> Shard:
    match = _SPEC.match(spec.strip())
    if not match:
        raise ValueError(f"shard must look like K/N (e.g. 1/3), got {spec!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise ValueError(f"shard {spec!r}: K must be between 1 and N")
    return Shard(index, count)


def owner(host: str, count: int, salt: str = "") -> int:
    """1-based shard that owns host among count shards. A `salt` gives an independent
    assignment: `sshmon run --workers` splits a `poll --shard` share again with one, since
    unsalted, the hosts shard 1 of 2 won would all be won by worker 1 of 2 as well."""
    return max(range(1, count + 1), key=lambda shard: _weight(shard, host, salt))


def select(names: Iterable[str], shard: Shard) -> list[str]:
    return [name for name in names if owner(name, shard.n) == shard.k]


def _weight(shard: int, host: str, salt: str = "") -> int:
    digest = hashlib.blake2b(f"{salt}{shard}\0{host}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
