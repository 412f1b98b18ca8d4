"""Alerts over HTTP: what fires now, the stored history, silences, maintenance windows,
acknowledgements and test notifications. Thin: alerts.service does the work.

Everything but the history needs this process's alert engine (`ctx.alerts`, set by
`sshmon run`); without it those endpoints answer 503 and say why. State-changing calls need
the admin role and, from a browser, the CSRF token the page carries (see `csrf_guard`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError

from alerts import checks, service
from alerts.errors import AlertsError, InvalidRequestError, NotFoundError, UnknownRouteError
from alerts.silences import Matcher
from api.alerts_bodies import (
    AckIn,
    Id,
    MaintenanceIn,
    MaintenancePatch,
    SilenceIn,
    SilencePatch,
    TestIn,
)
from api.auth import attributed
from api.deps import Ctx, Principal, principal, require_admin
from api.params import time_range
from api.security import CSRF_COOKIE, csrf_ok

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], dependencies=[Depends(principal)])
CSRF_HEADER = "x-csrf-token"
T = TypeVar("T")
NO_ENGINE = (
    "the alert engine does not run in this process (start it with `sshmon run`; "
    "`sshmon serve` only shows the alert history)"
)


async def csrf_guard(request: Request, who: Annotated[Principal, Depends(principal)]) -> None:
    """A bearer token is never sent by a browser on its own, so it needs no CSRF token. A
    session cookie is: those requests must echo the CSRF cookie in X-CSRF-Token. With auth off,
    scripts (no Origin, no Sec-Fetch-Site) pass; a browser must send the token too, so a page
    on another site cannot post to a monitor on localhost."""
    if who.via == "token":
        return
    if csrf_ok(request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)):
        return
    from_browser = "origin" in request.headers or "sec-fetch-site" in request.headers
    if who.via == "none" and not from_browser:
        return
    raise HTTPException(403, "CSRF check failed: send the X-CSRF-Token header the page carries")


Change = [Depends(require_admin), Depends(csrf_guard)]
# who makes a change: the dependency is cached per request, so this adds no second check
Who = Annotated[Principal, Depends(principal)]


def firing_by_host(engine: Any) -> dict[str, int]:
    """host -> firing alerts, what `AppContext.firing_alerts` gives the overview (the engine's
    keys are plain (rule, host, dev) tuples)."""
    counts: dict[str, int] = {}
    for (_, host, _), status in engine.alerts():
        if status.state.value == "firing":
            counts[host] = counts.get(host, 0) + 1
    return counts


def _runtime(ctx: Any) -> Any:
    if ctx.alerts is None:
        raise HTTPException(503, NO_ENGINE)
    return ctx.alerts


def _mutes(ctx: Any) -> Any:
    mutes = _runtime(ctx).engine.mutes
    if mutes is None:
        raise HTTPException(503, "the alert engine runs without a database: no silences")
    return mutes


async def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call (database I/O) off the event loop; alerts errors become HTTP errors."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except AlertsError as exc:
        raise _http(exc) from exc


def _known(ctx: Any, matcher: Matcher | None) -> Matcher | None:
    """Refuse hosts, groups and rules this config does not have, as `sshmon alerts silence
    add` does: a misspelt name would mute nothing while its author believes it mutes
    something. The 422 has FastAPI's own shape (one entry per name, `loc` pointing at it), so
    a client reads it like any other invalid body."""
    if matcher is None:
        return None
    inventory = ctx.inventory
    # a host's groups are defined under groups: in a loaded file; the union keeps an
    # inventory built in code (tests, embedding) from refusing the groups its hosts name
    groups = set(inventory.groups).union(*(h.groups for h in inventory.hosts))
    unknown = checks.unknown_names(
        matcher,
        hosts={h.name for h in inventory.hosts},
        groups=groups,
        rules={r.name for r in _runtime(ctx).engine.config.rules},
    )
    if unknown:
        raise RequestValidationError(
            [
                {
                    "type": "unknown_name",
                    "loc": ("body", "matcher", u.field, u.index),
                    "msg": u.api_message(),
                    "input": u.name,
                }
                for u in unknown
            ]
        )
    return matcher


def _http(exc: AlertsError) -> HTTPException:
    if isinstance(exc, NotFoundError | UnknownRouteError):
        return HTTPException(404, str(exc))
    if isinstance(exc, InvalidRequestError):
        return HTTPException(422, str(exc))
    return HTTPException(500, str(exc))


# reading ---------------------------------------------------------------------------------


@router.get("", name="alerts_active", summary="Firing and pending alerts now")
async def active(
    ctx: Ctx, host: Annotated[str | None, Query(max_length=255)] = None
) -> list[dict[str, Any]]:
    engine = _runtime(ctx).engine
    return [dataclasses.asdict(v) for v in service.active_alerts(engine, host, ctx.clock())]


@router.get("/counts", summary="How many alerts fire (by severity) and how many are pending")
async def counts(ctx: Ctx) -> dict[str, int]:
    return service.counts(_runtime(ctx).engine)


@router.get(
    "/history",
    name="alerts_history",
    summary="Stored alert transitions, newest first (default: the last 7 days)",
)
async def history(
    ctx: Ctx,
    host: Annotated[str | None, Query(max_length=255)] = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    span: Annotated[str | None, Query(alias="range", max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[dict[str, Any]]:
    r = time_range(start, end, span, ctx.clock(), default="7d")
    events = await ctx.queries.run(
        service.history,
        host=host or None,
        rule=rule or None,
        start=r.start,
        end=r.end,
        limit=limit,
    )
    return [dataclasses.asdict(e) for e in events]


@router.get("/silences", name="alerts_silences", summary="Silences (active and future)")
async def silences(ctx: Ctx, include_expired: bool = False) -> list[dict[str, Any]]:
    found = await _call(service.list_silences, _mutes(ctx), ctx.clock(), include_expired)
    return [s.model_dump() for s in found]


@router.get("/maintenance", name="alerts_maintenance", summary="Maintenance windows")
async def maintenance(ctx: Ctx, include_expired: bool = False) -> list[dict[str, Any]]:
    found = await _call(service.list_maintenance, _mutes(ctx), ctx.clock(), include_expired)
    return [m.model_dump() for m in found]


# changing --------------------------------------------------------------------------------


@router.post(
    "/silences",
    name="alerts_silence_create",
    status_code=201,
    dependencies=Change,
    summary="Silence what a matcher covers until a time (admin)",
)
async def create_silence(
    request: Request, ctx: Ctx, who: Who, body: SilenceIn
) -> dict[str, Any]:
    now = ctx.clock()
    created = await _call(
        service.create_silence,
        _mutes(ctx),
        _known(ctx, body.matcher),
        body.end(now),
        now,
        starts_at=body.starts_at,
        comment=body.comment,
        author=await attributed(request, who, body.author),
    )
    return created.model_dump()


@router.patch(
    "/silences/{silence_id}",
    name="alerts_silence_update",
    dependencies=Change,
    summary="Change an active silence's matcher, end or comment (admin)",
    description="Only the fields given change; the silence keeps its id and records who "
    "edited it and when (updated_by, updated_at). 404 for an unknown or expired silence.",
    responses={404: {"description": "no active silence with this id"}},
)
async def update_silence(
    request: Request, ctx: Ctx, who: Who, silence_id: Id, body: SilencePatch
) -> dict[str, Any]:
    now = ctx.clock()
    updated = await _call(
        service.update_silence,
        _mutes(ctx),
        silence_id,
        now,
        matcher=_known(ctx, body.matcher),
        ends_at=body.end(now),
        comment=body.comment,
        author=await attributed(request, who, body.author),
    )
    return updated.model_dump()


@router.post(
    "/silences/{silence_id}/expire",
    name="alerts_silence_expire",
    dependencies=Change,
    summary="End a silence now (admin)",
)
async def expire_silence(
    request: Request, ctx: Ctx, who: Who, silence_id: Id
) -> dict[str, Any]:
    author = await attributed(request, who, None)
    await _call(service.expire_silence, _mutes(ctx), silence_id, ctx.clock(), author=author)
    return {"expired": silence_id}


@router.post(
    "/maintenance",
    name="alerts_maintenance_create",
    status_code=201,
    dependencies=Change,
    summary="Add a one-off or recurring maintenance window (admin)",
)
async def create_maintenance(
    request: Request, ctx: Ctx, who: Who, body: MaintenanceIn
) -> dict[str, Any]:
    created = await _call(
        service.create_maintenance,
        _mutes(ctx),
        body.name,
        _known(ctx, body.matcher),
        body.schedule,
        ctx.clock(),
        comment=body.comment,
        author=await attributed(request, who, body.author),
    )
    return created.model_dump()


@router.patch(
    "/maintenance/{window_id}",
    name="alerts_maintenance_update",
    dependencies=Change,
    summary="Change a maintenance window's name, matcher, schedule or comment (admin)",
    description="Only the fields given change; the window keeps its id and records who "
    "edited it and when (updated_by, updated_at). 404 for an unknown or finished window.",
    responses={404: {"description": "no active maintenance window with this id"}},
)
async def update_maintenance(
    request: Request, ctx: Ctx, who: Who, window_id: Id, body: MaintenancePatch
) -> dict[str, Any]:
    updated = await _call(
        service.update_maintenance,
        _mutes(ctx),
        window_id,
        ctx.clock(),
        name=body.name,
        matcher=_known(ctx, body.matcher),
        schedule=body.schedule,
        comment=body.comment,
        author=await attributed(request, who, body.author),
    )
    return updated.model_dump()


@router.post(
    "/maintenance/{window_id}/expire",
    name="alerts_maintenance_expire",
    dependencies=Change,
    summary="End a maintenance window now (admin)",
)
async def expire_maintenance(
    request: Request, ctx: Ctx, who: Who, window_id: Id
) -> dict[str, Any]:
    author = await attributed(request, who, None)
    await _call(
        service.expire_maintenance, _mutes(ctx), window_id, ctx.clock(), author=author
    )
    return {"expired": window_id}


@router.post(
    "/ack",
    name="alerts_ack",
    dependencies=Change,
    summary="Acknowledge a firing alert: no more reminders for this episode (admin)",
)
async def acknowledge(request: Request, ctx: Ctx, who: Who, body: AckIn) -> dict[str, Any]:
    engine = _runtime(ctx).engine
    author = await attributed(request, who, body.author)
    try:
        # on the loop, not a thread: the engine's state belongs to the loop's thread
        service.acknowledge(
            engine,
            body.rule,
            body.host,
            body.dev,
            ctx.clock(),
            author=author,
            comment=body.comment,
        )
    except AlertsError as exc:
        raise _http(exc) from exc
    return {"acknowledged": {"rule": body.rule, "host": body.host, "dev": body.dev}}


@router.post(
    "/test",
    name="alerts_test",
    dependencies=Change,
    summary="Send a test notification to one route or every route (admin)",
)
async def send_test(ctx: Ctx, body: TestIn) -> dict[str, Any]:
    notifier = _runtime(ctx).notifier
    if not notifier.routes:
        raise HTTPException(422, "no notification routes are configured (alerts.routes)")
    try:
        results = await service.send_test(notifier, body.route, ctx.clock())
    except AlertsError as exc:
        raise _http(exc) from exc
    return {route: [dataclasses.asdict(a) for a in attempts] for route, attempts in results.items()}
