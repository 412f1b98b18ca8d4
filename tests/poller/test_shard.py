"""Rendezvous sharding of hosts across pollers."""

from __future__ import annotations

import pytest

from poller import shard

HOSTS = [f"host-{i:04d}" for i in range(3000)]


def test_every_host_has_exactly_one_owner() -> None:
    parts = [shard.select(HOSTS, shard.Shard(k, 3)) for k in (1, 2, 3)]
    assert sorted(h for part in parts for h in part) == sorted(HOSTS)
    assert all(900 < len(part) < 1100 for part in parts), [len(p) for p in parts]


def test_adding_a_poller_moves_only_its_share() -> None:
    before = {h: shard.owner(h, 4) for h in HOSTS}
    after = {h: shard.owner(h, 5) for h in HOSTS}
    moved = [h for h in HOSTS if before[h] != after[h]]
    assert all(after[h] == 5 for h in moved)  # hosts only move to the new poller
    assert 0.15 < len(moved) / len(HOSTS) < 0.25  # about 1/5


@pytest.mark.parametrize("spec", ["0/3", "4/3", "1-3", "", "a/b", "1/0"])
def test_bad_spec_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="shard"):
        shard.parse(spec)


def test_spec_parses() -> None:
    assert shard.parse(" 2/5 ") == shard.Shard(2, 5)
