"""Plain result rows returned by store.queries (timestamps: float seconds since the epoch, UTC).

NamedTuples rather than dataclasses for the wide results: building 160k rows for
latest_all costs ~25 % less this way, and they are still plain, typed, immutable values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Resolution = Literal["raw", "5m", "1h", "1d"]
QuantileSource = Literal["raw", "sketch", "5m_avg"]


class LatestRow(NamedTuple):
    host: str
    metric: str
    dev: str
    ts: float
    value: float


@dataclass(frozen=True)
class LatestColumns:
    """latest_all column by column: row i is (host[i], metric[i], dev[i], ts[i], value[i])."""

    host: list[str]
    metric: list[str]
    dev: list[str]
    ts: list[float]
    value: list[float]


class SeriesPoint(NamedTuple):
    ts: float  # start of the bucket
    avg: float
    min: float
    max: float


@dataclass(frozen=True)
class Series:
    host: str
    metric: str
    dev: str
    resolution: Resolution  # the table the points came from
    step_s: int  # width of each bucket
    points: list[SeriesPoint] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    """Aggregates over [start, end). `p95`/`p99`: see queries.summary for how they are computed."""

    avg: float | None
    min: float | None
    max: float | None
    p95: float | None
    p99: float | None
    count: int
    resolution: Resolution
    quantiles_from: QuantileSource = "raw"  # exact; 'sketch': t-digest; '5m_avg': low-biased


class TopRow(NamedTuple):
    host: str
    value: float


class PollStatusRow(NamedTuple):
    host: str
    ts: float
    state: str
    reason: str
    duration_s: float
    failed_sections: tuple[str, ...]


class HostInfoRow(NamedTuple):
    host: str
    last_seen: float  # time of the last host-info refresh
    os_name: str | None
    kernel: str | None
    arch: str | None
    cpus: int | None
    cpu_model: str | None
    memory_bytes: float | None
    boot_time: float | None
    failed_units: tuple[str, ...] = ()  # failed systemd units, the first few


class CatalogRow(NamedTuple):
    host: str
    metric: str
    dev: str


@dataclass(frozen=True)
class TableStats:
    name: str
    rows: int
    bytes_on_disk: int
    uncompressed_bytes: int
    oldest: float | None = None
    newest: float | None = None
