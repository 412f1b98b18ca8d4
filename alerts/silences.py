"""Silences, maintenance windows and acknowledgements.

A silence mutes what its matcher covers until a time; a maintenance window mutes on a
schedule (once, daily, or weekly on some days, in a time zone); an acknowledgement stops the
reminders of one firing alert. Muted alerts still change state and land in the history: only
sending is held back (as in Alertmanager), and the muting reason is stored with the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alerts.messages import clock

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Target:
    """What a silence is matched against: one alert on one host."""

    host: str
    groups: tuple[str, ...]
    rule: str
    labels: dict[str, str]


class Matcher(BaseModel):
    """Every non-empty field must match (any listed value); an empty matcher is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    hosts: list[str] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _not_everything(self) -> Matcher:
        if not (self.hosts or self.groups or self.rules or self.labels):
            raise ValueError(
                "name at least one host, group, rule or label (it would mute everything)"
            )
        return self

    def matches(self, t: Target) -> bool:
        return (
            (not self.hosts or t.host in self.hosts)
            and (not self.groups or any(g in self.groups for g in t.groups))
            and (not self.rules or t.rule in self.rules)
            and all(t.labels.get(k) == v for k, v in self.labels.items())
        )

    def describe(self) -> str:
        parts = [
            f"{k}={','.join(v)}"
            for k, v in (("host", self.hosts), ("group", self.groups), ("rule", self.rules))
            if v
        ]
        parts += [f"{k}={v}" for k, v in self.labels.items()]
        return " ".join(parts)


class Schedule(BaseModel):
    """`once`: from `start` to `end` (epoch seconds). `daily`/`weekly`: from `at` (HH:MM in
    `timezone`) for `duration` seconds, weekly only on `days`. A window may cross midnight."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["once", "daily", "weekly"]
    start: float | None = None
    end: float | None = None
    at: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    duration: float | None = Field(default=None, gt=0, le=7 * 86400)
    days: list[Weekday] = Field(default_factory=list)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _complete(self) -> Schedule:
        if self.kind == "once":
            if self.start is None or self.end is None or self.end <= self.start:
                raise ValueError("a one-off window needs `start` before `end`")
        elif self.at is None or self.duration is None:
            raise ValueError(f"a {self.kind} window needs `at` (HH:MM) and `duration`")
        if self.kind == "weekly" and not self.days:
            raise ValueError("a weekly window needs `days`")
        return self

    def active(self, now: float) -> bool:
        if self.kind == "once":
            assert self.start is not None and self.end is not None  # checked by _complete
            return self.start <= now < self.end
        return self.current(now) is not None

    def current(self, now: float) -> tuple[float, float] | None:
        """The recurring window containing `now`, as (start, end) epoch seconds."""
        assert self.at is not None and self.duration is not None  # checked by _complete
        zone = ZoneInfo(self.timezone)
        local = datetime.fromtimestamp(now, zone)
        hour, minute = (int(x) for x in self.at.split(":"))
        # today's window, or yesterday's still running past midnight (or several days back
        # for long windows)
        for back in range(int(self.duration // 86400) + 2):
            day = (local - timedelta(days=back)).date()
            start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
            if self.kind == "weekly" and WEEKDAYS[start.weekday()] not in self.days:
                continue
            begin = start.timestamp()
            if begin <= now < begin + self.duration:
                return begin, begin + self.duration
        return None


class Silence(BaseModel):
    id: int
    matcher: Matcher
    starts_at: float
    ends_at: float
    comment: str
    author: str
    created_at: float
    updated_at: float | None = None
    updated_by: str | None = None

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def label(self) -> str:
        return f"silence #{self.id} ({self.matcher.describe()}) until {clock(self.ends_at)}"


class Maintenance(BaseModel):
    id: int
    name: str
    matcher: Matcher
    schedule: Schedule
    comment: str
    author: str
    created_at: float
    expired_at: float | None = None
    updated_at: float | None = None
    updated_by: str | None = None

    def active(self, now: float) -> bool:
        return (self.expired_at is None or now < self.expired_at) and self.schedule.active(now)

    def label(self) -> str:
        return f"maintenance #{self.id} {self.name!r}"


class Ack(BaseModel):
    id: int
    rule: str
    host: str
    dev: str
    author: str
    comment: str
    created_at: float


def muted_by(
    silences: list[Silence], windows: list[Maintenance], target: Target, now: float
) -> str | None:
    """Words naming what mutes `target` at `now`, or None."""
    for s in silences:
        if s.active(now) and s.matcher.matches(target):
            return s.label()
    for m in windows:
        if m.active(now) and m.matcher.matches(target):
            return m.label()
    return None
