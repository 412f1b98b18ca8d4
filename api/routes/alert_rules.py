"""Alert rules over HTTP: the rules in effect (and where each comes from), changes to them
(admin), their audit trail, and the YAML to put the changes back into the file.

A change is checked as the file's rules are (alerts.rule_edit), stored with its audit row in
one transaction in a worker thread, then applied to the running engine on the loop, at once.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse

from alerts import rule_edit, rules_view
from alerts.effective import dump, export_yaml
from alerts.errors import (
    AlertsError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    RuleInvalidError,
)
from alerts.overrides import OverrideStore
from api import tokens
from api.alerts_bodies import RuleName, ThresholdsIn
from api.auth import client_address
from api.deps import Ctx, Principal, get_auth, principal
from api.routes.alerts import Change, _runtime

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], dependencies=[Depends(principal)])
Who = Annotated[Principal, Depends(principal)]
DONE = {
    "create": "created",
    "update": "changed",
    "thresholds": "has new thresholds",
    "disable": "disabled",
    "enable": "enabled",
    "delete": "deleted",
    "revert": "reverted to the file's (or shipped) rule",
}


def rules_report(rt: Any, inventory: Any) -> list[dict[str, Any]]:
    """Every rule in effect with its hosts and where it fires now (API and Rules tab)."""
    return rules_view.report(rt.effective(), inventory.hosts, rt.engine.alerts())


async def _author(request: Request, who: Principal) -> str:
    """Who made a change, for the audit trail: the token's name (a browser session counts as
    the token it signed in with), or, with auth off, the client address."""
    if who.via == "none":
        return f"local ({client_address(request)}, auth off)"
    engine = get_auth(request).engine
    token_id = int(who.client.removeprefix("token:"))
    info = await asyncio.to_thread(tokens.get, engine, token_id) if engine else None
    name = info.name if info is not None else f"token #{token_id}"
    return f"{name} (session)" if who.via == "session" else name


def _known(ctx: Any) -> rule_edit.Known:
    inv = ctx.inventory
    groups = set(inv.groups).union(*(h.groups for h in inv.hosts))
    return rule_edit.Known(frozenset(h.name for h in inv.hosts), frozenset(groups))


def _http(exc: AlertsError) -> Exception:
    if isinstance(exc, RuleInvalidError):
        return RequestValidationError(
            [
                {"type": "invalid_rule", "loc": ("body", *loc), "msg": msg}
                for loc, msg in exc.problems
            ]
        )
    if isinstance(exc, NotFoundError):
        return HTTPException(404, str(exc))
    if isinstance(exc, ConflictError):
        return HTTPException(409, str(exc))
    if isinstance(exc, InvalidRequestError):
        return HTTPException(422, str(exc))
    return HTTPException(500, str(exc))


async def _apply(request: Request, ctx: Any, who: Principal, plan: Any) -> dict[str, Any]:
    """Plan the edit against the rules in effect, store it, apply it to the engine."""
    rt = _runtime(ctx)
    author = await _author(request, who)
    store = OverrideStore(rt.db)
    async with rt.rules_lock:
        try:
            edit: rule_edit.Edit = plan(rt.effective())
        except AlertsError as exc:
            raise _http(exc) from exc

        def write() -> list[Any]:
            store.put(
                edit.name,
                edit.after,
                action=edit.action,
                before=edit.before,
                who=author,
                now=time.time(),
                keep=edit.keep,
            )
            return store.all()

        overrides = await asyncio.to_thread(write)
        found = rt.apply_overrides(overrides)  # on the loop: the engine's state lives here
    now = found.get(edit.name)
    return {
        "action": edit.action,
        "rule": edit.name,
        "by": author,
        "now": dump(now.rule) if now else None,
        "message": f"rule {edit.name} {DONE[edit.action]}; in effect now",
    }


# reading ---------------------------------------------------------------------------------


@router.get("/rules", name="alerts_rules", summary="The alert rules in effect, with their source")
async def rules(ctx: Ctx) -> list[dict[str, Any]]:
    """Shipped defaults, then the file, then changes made in the UI or the API (`source`:
    default, file or ui); each with the hosts it applies to and those it fires on now."""
    return rules_report(_runtime(ctx), ctx.inventory)


@router.get(
    "/rules/audit", name="alerts_rules_audit", summary="Changes made to rules, newest first"
)
async def audit(
    ctx: Ctx,
    rule: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> list[dict[str, Any]]:
    store = OverrideStore(_runtime(ctx).db)
    entries = await asyncio.to_thread(store.audit, limit, rule)
    return [
        {
            "id": e.id,
            "ts": e.ts,
            "who": e.who,
            "action": e.action,
            "rule": e.rule,
            "before": e.before,
            "after": e.after,
        }
        for e in entries
    ]


@router.get(
    "/rules/export",
    name="alerts_rules_export",
    summary="The rules in effect as the file's `alerts.defaults` and `alerts.rules` (YAML)",
    response_class=PlainTextResponse,
)
async def export(ctx: Ctx) -> PlainTextResponse:
    rt = _runtime(ctx)
    text = export_yaml(rt.engine.config, rt.effective())
    return PlainTextResponse(
        text,
        media_type="application/yaml",
        headers={"Content-Disposition": 'attachment; filename="sshmon-rules.yaml"'},
    )


# changing --------------------------------------------------------------------------------


@router.post(
    "/rules",
    name="alerts_rule_create",
    status_code=201,
    dependencies=Change,
    summary="Create a rule (admin); the body is a rule as the file writes it",
    responses={409: {"description": "a rule by that name exists"}},
)
async def create(request: Request, ctx: Ctx, who: Who, body: dict[str, Any]) -> dict[str, Any]:
    known = _known(ctx)
    return await _apply(request, ctx, who, lambda eff: rule_edit.create(eff, body, known))


@router.put(
    "/rules/{name}",
    name="alerts_rule_replace",
    dependencies=Change,
    summary="Replace a rule (admin); the body is the whole rule as the file writes it",
)
async def replace(
    request: Request, ctx: Ctx, who: Who, name: RuleName, body: dict[str, Any]
) -> dict[str, Any]:
    known = _known(ctx)
    return await _apply(request, ctx, who, lambda eff: rule_edit.replace(eff, name, body, known))


@router.patch(
    "/rules/{name}",
    name="alerts_rule_thresholds",
    dependencies=Change,
    summary="Change a rule's warning and/or critical threshold (admin)",
)
async def patch_thresholds(
    request: Request, ctx: Ctx, who: Who, name: RuleName, body: ThresholdsIn
) -> dict[str, Any]:
    known = _known(ctx)
    levels = body.model_dump(exclude_unset=True)
    return await _apply(
        request, ctx, who, lambda eff: rule_edit.thresholds(eff, name, levels, known)
    )


@router.post(
    "/rules/{name}/disable",
    name="alerts_rule_disable",
    dependencies=Change,
    summary="Disable a rule (admin)",
)
async def disable(request: Request, ctx: Ctx, who: Who, name: RuleName) -> dict[str, Any]:
    known = _known(ctx)
    return await _apply(
        request, ctx, who, lambda eff: rule_edit.set_enabled(eff, name, False, known)
    )


@router.post(
    "/rules/{name}/enable",
    name="alerts_rule_enable",
    dependencies=Change,
    summary="Enable a rule (admin)",
)
async def enable(request: Request, ctx: Ctx, who: Who, name: RuleName) -> dict[str, Any]:
    known = _known(ctx)
    return await _apply(
        request, ctx, who, lambda eff: rule_edit.set_enabled(eff, name, True, known)
    )


@router.post(
    "/rules/{name}/revert",
    name="alerts_rule_revert",
    dependencies=Change,
    summary="Undo the UI's changes to a rule: the file's (or shipped) rule applies again (admin)",
)
async def revert(request: Request, ctx: Ctx, who: Who, name: RuleName) -> dict[str, Any]:
    return await _apply(request, ctx, who, lambda eff: rule_edit.revert(eff, name))


@router.delete(
    "/rules/{name}",
    name="alerts_rule_delete",
    dependencies=Change,
    summary="Delete a rule (admin); a file or shipped rule stays deleted until reverted",
)
async def delete(request: Request, ctx: Ctx, who: Who, name: RuleName) -> dict[str, Any]:
    return await _apply(request, ctx, who, lambda eff: rule_edit.delete(eff, name))
