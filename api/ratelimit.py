"""Request budgets: a token bucket per client, with the time passed in.

Hand-written rather than the `limits` package because its in-memory storage reads the wall
clock itself, and tests must move time by hand; a bucket is a dozen lines.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """`rate` requests per second on average per key, up to `burst` at once."""

    def __init__(self, rate: float, burst: int, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            elapsed = max(0.0, now - bucket.at)
            bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate)
            bucket.at = now
        return bucket

    def take(self, key: str, now: float) -> float:
        """Spend one request: 0 when allowed, else the seconds until one is available."""
        bucket = self._bucket(key, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may spend one, without spending it (0: it may now)."""
        bucket = self._bucket(key, now)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        # bounded memory under a spray of addresses: a full bucket holds no information
        # (a new one starts full), so those go first; if none is full, start over
        full = [
            k for k, b in self._buckets.items() if b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for key in full or list(self._buckets):
            del self._buckets[key]
