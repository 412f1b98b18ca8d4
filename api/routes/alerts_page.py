"""The /alerts page: firing and pending now, history with filters, silences, maintenance.

Rendered on the server from the same alerts.service calls the JSON API makes, so every host
name, label and message is escaped by jinja2; web/static/js/alerts.js only turns the forms
into API calls (with the CSRF token) and reloads.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from alerts import service
from alerts.overrides import OverrideStore, describe_change
from api.deps import Ctx, Principal, principal, templates
from api.params import BadParam, time_range
from api.routes.alert_rules import rules_report
from api.routes.alerts import NO_ENGINE
from api.security import CSRF_COOKIE, new_csrf
from poller.catalog import METRICS
from store.errors import StoreError

router = APIRouter(include_in_schema=False)
HISTORY_LIMIT = 200
AUDIT_LIMIT = 50


async def _live_parts(ctx: Any, now: float) -> dict[str, Any]:
    rt = ctx.alerts
    if rt is None:
        return {"engine": False, "active": [], "silences": [], "windows": [], "routes": []}
    mutes = rt.engine.mutes
    return {
        "engine": True,
        "active": service.active_alerts(rt.engine, now=now),
        "silences": service.list_silences(mutes, now) if mutes else [],
        "windows": service.list_maintenance(mutes, now) if mutes else [],
        "routes": rt.notifier.routes,
        "rules": sorted(r.name for r in rt.engine.config.rules),
    }


async def _rules_parts(ctx: Any) -> dict[str, Any]:
    rt = ctx.alerts
    if rt is None:
        return {"rule_rows": [], "deleted_rules": [], "audit": [], "metric_names": []}
    entries = await asyncio.to_thread(OverrideStore(rt.db).audit, AUDIT_LIMIT)
    return {
        "rule_rows": rules_report(rt, ctx.inventory),
        "deleted_rules": rt.effective().deleted,
        "audit": [
            {**dataclasses.asdict(e), "change": describe_change(e.before, e.after)} for e in entries
        ],
        "metric_names": sorted(METRICS),
    }


@router.get("/alerts", name="alerts_page", response_class=HTMLResponse)
async def alerts_page(
    request: Request,
    ctx: Ctx,
    who: Annotated[Principal, Depends(principal)],
    host: Annotated[str | None, Query(max_length=255)] = None,
    rule: Annotated[str | None, Query(max_length=100)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    tab: Annotated[Literal["now", "rules"], Query()] = "now",
) -> Response:
    now = ctx.clock()
    problem = None
    events: list[Any] = []
    try:
        r = time_range(start or None, end or None, None if start else "7d", now)
        events = await ctx.queries.run(
            service.history,
            host=host or None,
            rule=rule or None,
            start=r.start,
            end=r.end,
            limit=HISTORY_LIMIT,
        )
    except BadParam as exc:
        problem = exc.detail
    except StoreError as exc:  # the live half of the page still helps while the store is out
        problem = f"the alert history is unavailable: {exc}"
    live = await _live_parts(ctx, now)
    rules_tab = await _rules_parts(ctx) if tab == "rules" else {}
    csrf = request.cookies.get(CSRF_COOKIE) or new_csrf()
    context = {
        "who": who,
        "csrf": csrf,
        "now": now,
        "no_engine": NO_ENGINE,
        "hosts": sorted(h.name for h in ctx.inventory.hosts),
        "events": events,
        "history_limit": HISTORY_LIMIT,
        "problem": problem,
        "filters": {"host": host or "", "rule": rule or "", "from": start or "", "to": end or ""},
        "rules": [],
        "tab": tab,
        **live,
        **rules_tab,
    }
    response = templates.TemplateResponse(request, "alerts.html", context)
    if CSRF_COOKIE not in request.cookies:  # the forms echo it (double submit, api/security)
        secure = ctx.settings.cookies_secure()
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure)
    return response
