"""`sshmon alerts …`: test a route, list alerts, silences, maintenance windows, acknowledge.

Mounted by sshmon/cli.py as `app.add_typer(alerts_app, name="alerts")`. These commands work on
the alerts database, so they run beside a live `sshmon run` (which picks changes up within
seconds). The clock is read here, at the edge. User mistakes print one line and exit 2.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import ValidationError

from alerts import checks, runtime, service
from alerts.config import parse_duration
from alerts.db import AlertsDB
from alerts.effective import with_rules
from alerts.errors import AlertsError
from alerts.messages import clock, format_duration
from alerts.mutes import MuteStore
from alerts.notify import Notifier
from alerts.overrides import OverrideStore
from alerts.silences import Matcher, Schedule
from poller.printable import printable
from poller.yamlfile import ConfigError
from sshmon import config
from store import localstate

alerts_app = typer.Typer(
    name="alerts", help="Alerts: test routes, list, silence, acknowledge.", no_args_is_help=True
)
silence_app = typer.Typer(
    help="Mute alerts that match hosts, groups, rules or labels.", no_args_is_help=True
)
maintenance_app = typer.Typer(
    help="Scheduled maintenance windows (once, daily, weekly).", no_args_is_help=True
)
alerts_app.add_typer(silence_app, name="silence")
alerts_app.add_typer(maintenance_app, name="maintenance")

InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        envvar="SSHMON_INVENTORY",
        show_default=False,
        help="Inventory file [default: ./inventory.yaml]",
    ),
]
_M = TypeVar("_M", Matcher, Matcher | None)  # `add` always has a matcher, `edit` maybe not
HostOpt = Annotated[list[str] | None, typer.Option("--host", help="Host name (repeatable)")]
GroupOpt = Annotated[list[str] | None, typer.Option("--group", help="Group (repeatable)")]
RuleOpt = Annotated[list[str] | None, typer.Option("--rule", help="Rule name (repeatable)")]
LabelOpt = Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE (repeatable)")]
CommentOpt = Annotated[str, typer.Option("--comment", "-c", help="Why")]
AuthorOpt = Annotated[str | None, typer.Option("--author", help="Who [default: $USER]")]
NewCommentOpt = Annotated[
    str | None, typer.Option("--comment", "-c", help="New comment", show_default=False)
]
AtOpt = Annotated[str | None, typer.Option(help="Daily/weekly start, HH:MM")]
DurationOpt = Annotated[str | None, typer.Option(help="Length of each window, e.g. 1h")]
DaysOpt = Annotated[str | None, typer.Option(help="Weekly on these days: mon,thu")]
StartOpt = Annotated[str | None, typer.Option(help="One-off start (ISO)")]
EndOpt = Annotated[str | None, typer.Option(help="One-off end (ISO)")]


def _echo(text: str, *, err: bool = False) -> None:
    """Every line this CLI prints: hosts, devices (mount points) and reasons come from
    targets, so control characters are shown escaped, never sent to the terminal."""
    typer.echo(printable(text), err=err)


def _fail(message: str) -> NoReturn:
    _echo(f"error: {message}", err=True)
    raise typer.Exit(2)


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            _echo(problem, err=True)
        raise typer.Exit(2) from None
    except ValidationError as exc:
        _fail("; ".join(str(e["msg"]) for e in exc.errors()))
    except (AlertsError, ValueError) as exc:
        _fail(str(exc) or type(exc).__name__)
    except localstate.StateUnusable as exc:
        # not moved aside here: `sshmon run` may be using it; its next start does that
        _fail(f"{exc} (`sshmon run` moves a corrupt file aside when it starts)")


@contextmanager
def _opened(inventory: Path | None) -> Iterator[tuple[runtime.Loaded, AlertsDB]]:
    with _user_errors():
        # the one loader `run` and `config check` use, so all accept and refuse the same files
        loaded = config.load(inventory or Path("inventory.yaml")).alerts_loaded()
        with localstate.translated(loaded.db_url, "alerts database"):
            db = AlertsDB(loaded.db_url)
            try:
                yield loaded, db
            finally:
                db.close()


def _author(author: str | None) -> str:
    return author or os.environ.get("USER", "")


def _matcher(
    host: list[str] | None, group: list[str] | None, rule: list[str] | None, label: list[str] | None
) -> Matcher:
    labels = {}
    for item in label or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"--label {item!r}: expected KEY=VALUE")
        labels[key] = value
    return Matcher(hosts=host or [], groups=group or [], rules=rule or [], labels=labels)


def _new_matcher(
    host: list[str] | None, group: list[str] | None, rule: list[str] | None, label: list[str] | None
) -> Matcher | None:
    """For `edit`: any matcher option replaces the whole matcher; none keeps it."""
    if not (host or group or rule or label):
        return None
    return _matcher(host, group, rule, label)


def _known(loaded: runtime.Loaded, matcher: _M) -> _M:
    """Refuse hosts, groups and rules the config does not have: a misspelt name would mute
    nothing while the author believes it mutes something."""
    if matcher is None:
        return None
    problems = checks.matcher_problems(
        matcher,
        hosts={h.name for h in loaded.inventory.hosts},
        groups=set(loaded.inventory.groups),
        rules={r.name for r in loaded.config.rules},
    )
    for problem in problems[:-1]:
        _echo(f"error: {problem}", err=True)
    if problems:
        _fail(problems[-1])
    return matcher


def _schedule(
    at: str | None,
    duration: str | None,
    days: str | None,
    start: str | None,
    end: str | None,
    timezone: str,
) -> Schedule:
    if start or end:
        return Schedule(kind="once", start=_when(start or ""), end=_when(end or ""))
    return Schedule.model_validate(
        {
            "kind": "weekly" if days else "daily",
            "at": at,
            "timezone": timezone,
            "duration": parse_duration(duration) if duration else None,
            "days": [d.strip().lower() for d in (days or "").split(",") if d.strip()],
        }
    )


def _when(text: str) -> float:
    """An ISO date-time (UTC unless it says otherwise) as epoch seconds."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"{text!r} is not a date-time like 2026-01-31T18:00 or 2026-01-31 18:00+01:00")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)
    return parsed.timestamp()


@alerts_app.command("test")
def test_route(
    route: Annotated[str | None, typer.Argument(help="Route name [default: all]")] = None,
    inventory: InventoryOpt = None,
) -> None:
    """Send a test notification through one route (or all) and say how it went."""
    with _opened(inventory) as (loaded, db):
        if not loaded.config.routes:
            _fail("no routes: add `alerts: routes:` with Apprise URLs to the config file")
        notifier = Notifier(loaded.config, db=db, base_dir=loaded.base_dir)
        results = asyncio.run(service.send_test(notifier, route, time.time()))
    failed = False
    for name, attempts in results.items():
        last = attempts[-1]
        failed |= not last.ok
        note = "" if last.ok else f": {last.reason}"
        _echo(f"{name}: {last.outcome} after {len(attempts)} attempt(s){note}")
    if failed:
        raise typer.Exit(1)


@alerts_app.command("list")
def list_alerts(inventory: InventoryOpt = None) -> None:
    """Firing and pending alerts (as last saved by `sshmon run`)."""
    with _opened(inventory) as (loaded, db):
        now = time.time()
        # the rules in effect, changes made in the UI included (units, inhibitions)
        config = with_rules(loaded.config, loaded.effective(OverrideStore(db).all()))
        views = service.stored_alerts(config, db)
        views = service.stored_quiet(config, db, views, loaded.inventory.hosts, now)
    if not views:
        _echo("no alerts firing or pending")
    for v in views:
        flags = "".join([" acked" if v.acked else "", " flapping" if v.flapping else ""])
        if v.quiet == "inhibited":
            flags += f" {v.quiet_reason}"  # "inhibited by RULE" says it all
        elif v.quiet:
            flags += f" {v.quiet} ({v.quiet_reason})"
        where = f"{v.host} {v.dev}".strip()
        _echo(
            f"{v.state:8} {v.severity or '-':8} {v.rule:18} {where:30} {v.value_text:>10}"
            f"  since {clock(v.since)} ({format_duration(now - v.since)}){flags}"
        )


@alerts_app.command("ack")
def ack(
    rule: str,
    host: str,
    dev: Annotated[str, typer.Argument()] = "",
    comment: CommentOpt = "",
    author: AuthorOpt = None,
    inventory: InventoryOpt = None,
) -> None:
    """Acknowledge a firing alert: no more reminders until it resolves or gets worse."""
    with _opened(inventory) as (_, db), _user_errors():
        service.acknowledge(
            (db, MuteStore(db)),
            rule,
            host,
            dev,
            time.time(),
            author=_author(author),
            comment=comment,
        )
    _echo(f"acknowledged {rule} on {host}{' ' + dev if dev else ''}")


@silence_app.command("add")
def silence_add(
    host: HostOpt = None,
    group: GroupOpt = None,
    rule: RuleOpt = None,
    label: LabelOpt = None,
    for_: Annotated[str | None, typer.Option("--for", help="How long, e.g. 2h")] = None,
    until: Annotated[str | None, typer.Option(help="Until a date-time (ISO)")] = None,
    comment: CommentOpt = "",
    author: AuthorOpt = None,
    inventory: InventoryOpt = None,
) -> None:
    """Silence matching alerts until a time (state still changes and is recorded)."""
    now = time.time()
    if (for_ is None) == (until is None):
        _fail("give exactly one of --for DURATION or --until DATE-TIME")
    with _opened(inventory) as (loaded, db), _user_errors():
        ends = now + float(parse_duration(for_)) if for_ is not None else _when(until or "")
        silence = service.create_silence(
            MuteStore(db),
            _known(loaded, _matcher(host, group, rule, label)),
            ends,
            now,
            comment=comment,
            author=_author(author),
        )
    _echo(f"silence #{silence.id}: {silence.matcher.describe()} until {clock(silence.ends_at)}")


@silence_app.command("edit")
def silence_edit(
    silence_id: int,
    host: HostOpt = None,
    group: GroupOpt = None,
    rule: RuleOpt = None,
    label: LabelOpt = None,
    for_: Annotated[str | None, typer.Option("--for", help="New end: this long from now")] = None,
    until: Annotated[str | None, typer.Option(help="New end: a date-time (ISO)")] = None,
    comment: NewCommentOpt = None,
    author: AuthorOpt = None,
    inventory: InventoryOpt = None,
) -> None:
    """Change an active silence: any of --host/--group/--rule/--label replaces its matcher,
    --for/--until its end, --comment its comment; what is not given stays."""
    now = time.time()
    if for_ is not None and until is not None:
        _fail("give at most one of --for DURATION or --until DATE-TIME")
    with _opened(inventory) as (loaded, db), _user_errors():
        ends = now + float(parse_duration(for_)) if for_ is not None else None
        silence = service.update_silence(
            MuteStore(db),
            silence_id,
            now,
            matcher=_known(loaded, _new_matcher(host, group, rule, label)),
            ends_at=_when(until) if until is not None else ends,
            comment=comment,
            author=_author(author),
        )
    _echo(f"silence #{silence.id}: {silence.matcher.describe()} until {clock(silence.ends_at)}")


@silence_app.command("list")
def silence_list(
    all_: Annotated[bool, typer.Option("--all", help="Include expired")] = False,
    inventory: InventoryOpt = None,
) -> None:
    """Silences in force (or all of them)."""
    with _opened(inventory) as (_, db):
        silences = service.list_silences(MuteStore(db), time.time(), include_expired=all_)
    if not silences:
        _echo("no silences")
    for s in silences:
        _echo(
            f"#{s.id:<4} {s.matcher.describe():40} until {clock(s.ends_at)}  "
            f"{s.author or '-'}: {s.comment}"
        )


@silence_app.command("expire")
def silence_expire(silence_id: int, inventory: InventoryOpt = None) -> None:
    """End a silence now."""
    with _opened(inventory) as (_, db), _user_errors():
        service.expire_silence(MuteStore(db), silence_id, time.time())
    _echo(f"silence #{silence_id} expired")


@maintenance_app.command("add")
def maintenance_add(
    name: str,
    host: HostOpt = None,
    group: GroupOpt = None,
    rule: RuleOpt = None,
    label: LabelOpt = None,
    at: AtOpt = None,
    duration: DurationOpt = None,
    days: DaysOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    timezone: Annotated[str, typer.Option(help="Time zone of --at")] = "UTC",
    comment: CommentOpt = "",
    author: AuthorOpt = None,
    inventory: InventoryOpt = None,
) -> None:
    """A maintenance window: one-off (--start/--end) or recurring (--at/--duration [--days])."""
    with _opened(inventory) as (loaded, db), _user_errors():
        schedule = _schedule(at, duration, days, start, end, timezone)
        window = service.create_maintenance(
            MuteStore(db),
            name,
            _known(loaded, _matcher(host, group, rule, label)),
            schedule,
            time.time(),
            comment=comment,
            author=_author(author),
        )
    _echo(f"maintenance #{window.id} {window.name!r}: {window.matcher.describe()}")


@maintenance_app.command("edit")
def maintenance_edit(
    window_id: int,
    name: Annotated[str | None, typer.Option(help="New name")] = None,
    host: HostOpt = None,
    group: GroupOpt = None,
    rule: RuleOpt = None,
    label: LabelOpt = None,
    at: AtOpt = None,
    duration: DurationOpt = None,
    days: DaysOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    timezone: Annotated[str, typer.Option(help="Time zone of --at")] = "UTC",
    comment: NewCommentOpt = None,
    author: AuthorOpt = None,
    inventory: InventoryOpt = None,
) -> None:
    """Change a maintenance window: any matcher option replaces its matcher, any schedule
    option (--at/--duration/--days or --start/--end) its whole schedule; the rest stays."""
    with _opened(inventory) as (loaded, db), _user_errors():
        schedule = (
            _schedule(at, duration, days, start, end, timezone)
            if at or duration or days or start or end
            else None
        )
        window = service.update_maintenance(
            MuteStore(db),
            window_id,
            time.time(),
            name=name,
            matcher=_known(loaded, _new_matcher(host, group, rule, label)),
            schedule=schedule,
            comment=comment,
            author=_author(author),
        )
    _echo(f"maintenance #{window.id} {window.name!r}: {window.matcher.describe()}")


@maintenance_app.command("list")
def maintenance_list(inventory: InventoryOpt = None) -> None:
    """Maintenance windows not yet over."""
    with _opened(inventory) as (_, db):
        windows = service.list_maintenance(MuteStore(db), time.time())
    if not windows:
        _echo("no maintenance windows")
    for m in windows:
        s = m.schedule
        when = (
            f"{clock(s.start or 0)} to {clock(s.end or 0)}"
            if s.kind == "once"
            else f"{s.kind} {','.join(s.days)} {s.at} {s.timezone} for "
            f"{format_duration(s.duration or 0)}"
        )
        _echo(f"#{m.id:<4} {m.name:20} {m.matcher.describe():30} {when}")


@maintenance_app.command("expire")
def maintenance_expire(window_id: int, inventory: InventoryOpt = None) -> None:
    """End a maintenance window (recurring ones stop recurring)."""
    with _opened(inventory) as (_, db), _user_errors():
        service.expire_maintenance(MuteStore(db), window_id, time.time())
    _echo(f"maintenance #{window_id} expired")
