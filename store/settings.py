"""Storage configuration: where the store is, how long each tier keeps rows, how to batch."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

ENV_DATABASE_URL = "SSHMON_DATABASE_URL"
DAY_S = 86_400


class RetentionSettings(BaseModel):
    """Days each table keeps rows (TTL). Fractions are allowed: tests use a few seconds.

    A 1-minute tier is deliberately absent: at a 10 s poll it costs about as much disk as raw.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_days: float = Field(default=7, gt=0)
    rollup_5m_days: float = Field(default=90, gt=0)
    rollup_1h_days: float = Field(default=730, gt=0)
    rollup_1d_days: float | None = Field(default=None, gt=0, description="None: no 1-day tier")
    # Hourly t-digest for p95/p99 beyond the raw TTL: ~620 B per series-hour on noisy
    # series (store/schema.py), so off unless asked for.
    digest_1h_days: float | None = Field(default=None, gt=0, description="None: no sketch")
    poll_status_days: float = Field(default=30, gt=0)
    host_info_days: float = Field(default=365, gt=0)
    alert_events_days: float = Field(default=365, gt=0)

    def seconds(self, key: str) -> int:
        """TTL of one retention key in whole seconds (at least 1)."""
        days = getattr(self, key)
        if days is None:
            raise KeyError(f"retention {key!r} is not enabled")
        return max(1, round(float(days) * DAY_S))


class StoreSettings(BaseModel):
    """The `database:` section of the config.

    `url` is `chdb:///dir` (embedded, one process per dir) or `http(s)://user:pass@host:8123/db`;
    the environment variable SSHMON_DATABASE_URL overrides it (see `with_env`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = "chdb:///var/lib/sshmon"
    database: str = Field(default="sshmon", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
    cluster: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,62}$")
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    # Every insert makes a part in each table the views feed, and merging them is the
    # engine's main background cost: measured in chDB 26.9 (2M rows into the real schema),
    # 200 inserts of 10k rows merged 21.5M rows in 18.4 s CPU, 40 of 50k rows 11M in 10.4 s.
    # Once a day's part is large, the merge selector folds it in again about every
    # 5 MiB-worth of new parts (SimpleMergeSelector counts a fixed 5 MiB per part, as we
    # read its source), so the steady merge work grows with inserts per minute:
    # hence at most one insert per 10 s, and batches up to 200k rows (~0.5 s to insert)
    # so that 2,000 hosts at 10 s (12k rows/s) still insert only every ~16 s.
    # The dashboard's live view does not wait for the store, and SIGTERM flushes.
    batch_rows: int = Field(default=200_000, ge=1)
    flush_interval_s: float = Field(default=10.0, gt=0)
    max_queue_rows: int = Field(default=1_000_000, ge=1, description="beyond this, submit() drops")
    spool_dir: Path | None = Field(default=None, description="default: beside a chdb dir")
    spool_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    # Precision kept per stored value: 4 significant digits and at most 2 decimals
    # (percentages to 0.01 points, rates and bytes to 0.1 %). Measured on realistic
    # /proc-derived series (bench/store_bytes.py): all bits 3.8 B/sample, 6 digits 2.6,
    # 4 digits + 2 decimals 1.59, 3 digits 1.33. None keeps every bit.
    value_digits: int | None = Field(default=4, ge=1, le=17)
    value_decimals: int | None = Field(default=2, ge=0, le=15)

    def with_env(self, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """Copy with SSHMON_DATABASE_URL applied when it is set and non-empty."""
        env = os.environ if environ is None else environ
        url = env.get(ENV_DATABASE_URL, "")
        return self.model_copy(update={"url": url}) if url else self

    def resolved_spool_dir(self) -> Path:
        """Spool next to an embedded store, else under the working directory."""
        if self.spool_dir is not None:
            return self.spool_dir
        if self.url.startswith("chdb://"):
            return Path(self.url.removeprefix("chdb://")).parent / "spool"
        return Path("spool")
