"""Request bodies of the alerts API (api/routes/alerts.py), validated by pydantic so a bad
field is a 422 naming it; the matcher and schedule rules are alerts.silences' own.

Every number is bounded: an `ends_at` of 1e20 used to be stored and then broke the /alerts
page for everyone (no date function holds it), and an id past 2**63 broke SQLite. Times are
epoch seconds in [0, EPOCH_MAX_S]; NaN and infinity are refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alerts import silences
from alerts.config import parse_duration
from api.params import EPOCH_MAX_S

# SQLite (and PostgreSQL's bigint) hold signed 64-bit ids
ID_MAX = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=ID_MAX)]
EpochS = Annotated[float, Field(ge=0, le=EPOCH_MAX_S, allow_inf_nan=False)]
NAMES_MAX = 1000  # hosts, groups or rules one matcher may list
Name = Annotated[str, Field(max_length=255)]


class Matcher(silences.Matcher):
    """alerts.silences.Matcher with its lists and names bounded."""

    hosts: list[Name] = Field(default_factory=list, max_length=NAMES_MAX)
    groups: list[Name] = Field(default_factory=list, max_length=NAMES_MAX)
    rules: list[Name] = Field(default_factory=list, max_length=NAMES_MAX)
    labels: dict[Name, Name] = Field(default_factory=dict, max_length=100)


class Schedule(silences.Schedule):
    """alerts.silences.Schedule with its one-off times bounded."""

    start: EpochS | None = None
    end: EpochS | None = None
    timezone: str = Field(default="UTC", max_length=64)


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matcher: Matcher
    ends_at: EpochS | None = Field(default=None, description="epoch seconds")
    duration: str | None = Field(
        default=None, description="instead of ends_at: 30m, 2h, 1d", max_length=16
    )
    starts_at: EpochS | None = Field(default=None, description="epoch seconds; default now")
    comment: str = Field(default="", max_length=1000)
    author: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _one_end(self) -> SilenceIn:
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        return self

    def end(self, now: float) -> float:
        if self.ends_at is not None:
            return self.ends_at
        return _until(self.starts_at or now, self.duration)


class SilencePatch(BaseModel):
    """An edit: only the fields given change; `author` is who edits (kept as updated_by)."""

    model_config = ConfigDict(extra="forbid")
    matcher: Matcher | None = None
    ends_at: EpochS | None = Field(default=None, description="epoch seconds")
    duration: str | None = Field(
        default=None,
        description="instead of ends_at: this long from now (30m, 2h, 1d)",
        max_length=16,
    )
    comment: str | None = Field(default=None, max_length=1000)
    author: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _something(self) -> SilencePatch:
        if self.ends_at is not None and self.duration is not None:
            raise ValueError("give ends_at or duration, not both")
        if (self.matcher, self.ends_at, self.duration, self.comment) == (None, None, None, None):
            raise ValueError("nothing to change: give matcher, ends_at, duration or comment")
        return self

    def end(self, now: float) -> float | None:
        if self.duration is None:
            return self.ends_at
        return _until(now, self.duration)


def _until(start: float, duration: str | None) -> float:
    """`start` + a duration like 2h, kept within the epoch bound (422 otherwise)."""
    try:
        end = start + float(parse_duration(duration))
    except ValueError as exc:
        raise HTTPException(422, f"duration: {exc}") from exc
    if end > EPOCH_MAX_S:
        raise HTTPException(422, f"duration: {duration!r} ends after {EPOCH_MAX_S:.0f}")
    return end


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    matcher: Matcher
    schedule: Schedule
    comment: str = Field(default="", max_length=1000)
    author: str = Field(default="", max_length=100)


class MaintenancePatch(BaseModel):
    """An edit: only the fields given change; `author` is who edits (kept as updated_by)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    matcher: Matcher | None = None
    schedule: Schedule | None = None
    comment: str | None = Field(default=None, max_length=1000)
    author: str = Field(default="", max_length=100)

    @model_validator(mode="after")
    def _something(self) -> MaintenancePatch:
        if (self.name, self.matcher, self.schedule, self.comment) == (None, None, None, None):
            raise ValueError("nothing to change: give name, matcher, schedule or comment")
        return self


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str = Field(min_length=1, max_length=100)
    host: str = Field(min_length=1, max_length=255)
    dev: str = Field(default="", max_length=255)
    comment: str = Field(default="", max_length=1000)
    author: str = Field(default="", max_length=100)


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: str | None = Field(default=None, description="one route; default every route")


RuleName = Annotated[str, Path(min_length=1, max_length=64)]


class ThresholdsIn(BaseModel):
    """A threshold-only edit: the levels given change (null removes one), the rest stays."""

    model_config = ConfigDict(extra="forbid")
    warning: float | None = Field(default=None, allow_inf_nan=False)
    critical: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _something(self) -> ThresholdsIn:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give warning and/or critical")
        return self
