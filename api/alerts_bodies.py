"""Request bodies of the alerts API (api/routes/alerts.py), validated by pydantic so a bad
field is a 422 naming it; the matcher and schedule rules are alerts.silences' own."""

from __future__ import annotations

from fastapi import HTTPException
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alerts.config import parse_duration
from alerts.silences import Matcher, Schedule


class SilenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matcher: Matcher
    ends_at: float | None = Field(default=None, description="epoch seconds")
    duration: str | None = Field(
        default=None, description="instead of ends_at: 30m, 2h, 1d", max_length=16
    )
    starts_at: float | None = Field(default=None, description="epoch seconds; default now")
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
        try:
            seconds = float(parse_duration(self.duration))
        except ValueError as exc:
            raise HTTPException(422, f"duration: {exc}") from exc
        return (self.starts_at or now) + seconds


class SilencePatch(BaseModel):
    """An edit: only the fields given change; `author` is who edits (kept as updated_by)."""

    model_config = ConfigDict(extra="forbid")
    matcher: Matcher | None = None
    ends_at: float | None = Field(default=None, description="epoch seconds")
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
        try:
            return now + float(parse_duration(self.duration))
        except ValueError as exc:
            raise HTTPException(422, f"duration: {exc}") from exc


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
