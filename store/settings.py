"""Storage configuration: where the store is, how long each tier keeps rows, how to batch."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

ENV_DATABASE_URL = "SSHMON_DATABASE_URL"
DAY_S = 86_400
_REMOVED_KEYS = ("value_digits", "value_decimals")  # gone in issue 8
_REMOVED = PydanticCustomError(
    "removed_key",
    "no longer exists: each metric's precision is declared in the metric catalog "
    "(poller/catalog.py); delete this key",
)


class RetentionSettings(BaseModel):
    """Days each table keeps rows (TTL). Fractions are allowed: tests use a few seconds.

    A 1-minute tier is deliberately absent: at a 10 s poll it costs about as much disk as raw.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # every poll as measured (charts of short ranges, alert windows)
    raw_days: float = Field(default=7, gt=0)
    # 5-minute min/max/sum/count per series (charts of days to months)
    rollup_5m_days: float = Field(default=90, gt=0)
    # hourly min/max/sum/count per series (charts of months to years)
    rollup_1h_days: float = Field(default=730, gt=0)
    # optional daily tier, fed from the hourly one
    rollup_1d_days: float | None = Field(default=None, gt=0, description="None: no 1-day tier")
    # Hourly t-digest for p95/p99 beyond the raw TTL: ~620 B per series-hour on noisy
    # series (store/schema.py), so off unless asked for.
    digest_1h_days: float | None = Field(default=None, gt=0, description="None: no sketch")
    # each poll's outcome, duration and reason
    poll_status_days: float = Field(default=30, gt=0)
    # OS, kernel, cpus, memory and boot time, as last seen
    host_info_days: float = Field(default=365, gt=0)
    # alert state transitions (the alert history)
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

    # where the store is: chdb:///DIR (embedded) or http(s)://[USER:PASSWORD@]HOST[:PORT]
    url: str = "chdb:///var/lib/sshmon"
    # ClickHouse database of sshmon's tables, created at start-up
    database: str = Field(default="sshmon", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
    # ClickHouse cluster name: Replicated and Distributed tables, created ON CLUSTER
    cluster: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,62}$")
    # days each table keeps rows (TTL)
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
    # disk kept for batches while ClickHouse is away; past it the oldest go first
    spool_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1)

    @model_validator(mode="wrap")
    @classmethod
    def _removed_keys(cls, data: Any, handler: ModelWrapValidatorHandler[StoreSettings]) -> Any:
        """value_digits/value_decimals were one rounding rule for every metric; precision
        is now declared per metric in the catalog. Refused rather than ignored: a setting
        that silently does nothing would let people believe they chose a precision.

        Each is reported at its own key (so a config error names its line, not the
        `database:` line), together with whatever else is wrong in the section."""
        removed = [k for k in data if k in _REMOVED_KEYS] if isinstance(data, Mapping) else []
        if not removed:
            return handler(data)
        errors: list[InitErrorDetails] = [
            {"type": _REMOVED, "loc": (key,), "input": data[key]} for key in removed
        ]
        try:
            handler({k: v for k, v in data.items() if k not in removed})
        except ValidationError as exc:
            # carried over as custom errors of the same type, message and place:
            # from_exception_data would need each built-in type's own ctx
            errors += [
                {
                    "type": PydanticCustomError(e["type"], e["msg"]),
                    "loc": e["loc"],
                    "input": e["input"],
                }
                for e in exc.errors()
            ]
        raise ValidationError.from_exception_data(cls.__name__, errors)

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


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a store URL, without quoting it (it may hold a password); None if
    it can. Checked before start-up so a typo is a config error, not a failed connect."""
    expected = "expected chdb:///DIR or http(s)://[USER:PASSWORD@]HOST[:PORT][/DB]"
    scheme, sep, rest = url.partition("://")
    if not sep:
        return expected
    if scheme == "chdb":
        return None if rest.startswith("/") else "chdb:// needs an absolute directory: chdb:///DIR"
    if scheme not in ("http", "https"):
        return f"{expected} (got {scheme}://)"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  # urlsplit checks the port only when asked
    except ValueError:
        return f"{scheme}:// URL: the port is not a number from 1 to 65535"
    return None if parts.hostname else f"{scheme}:// URL without a host name"
