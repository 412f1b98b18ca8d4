"""`create_app(ctx)`: assembles routers, static files, security headers and auth. Nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import fleet, memtrim, tokens, validation
from api.accesslog import AccessLog
from api.context import AppContext
from api.deps import WEB_DIR, AuthState, LoginRequired, templates
from api.fleetcache import FleetCache, keep_fresh, overview_tap
from api.hostcheck import HostCheck
from api.metrics import MetricsRenderer
from api.middleware import SecurityHeaders
from api.processes import ProcessLister
from api.ratelimit import TokenBuckets
from api.routes import (
    alert_rules,
    alerts,
    alerts_page,
    catalog,
    db,
    health,
    hosts,
    live,
    login,
    openapi,
    pages,
    prom,
    series,
)
from api.security import RateLimiter, load_secret
from api.sparks import Sparks
from api.streams import LiveStreams
from store import localstate, queries
from store.errors import StoreCorruptError, StoreError

log = logging.getLogger(__name__)
SEED_HOURS = 1.0


def create_app(ctx: AppContext) -> FastAPI:
    sparks = Sparks()
    fleet_cache = FleetCache()

    ctx.hub.taps.append(overview_tap(fleet_cache, sparks))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seeding = asyncio.create_task(_seed_sparks(ctx, sparks))
        seeding.add_done_callback(_log_failure)
        keeping = asyncio.create_task(keep_fresh(ctx, fleet_cache))
        keeping.add_done_callback(_log_failure)
        try:
            yield
        finally:
            seeding.cancel()
            keeping.cancel()
            ctx.hub.close()

    app = FastAPI(
        title="sshmon",
        version="1",
        description="Agentless Linux server monitor: fleet state, history, live updates.",
        docs_url=None,  # our /docs serves Swagger UI from web/static/vendor, not a CDN
        redoc_url=None,
        openapi_url=None,  # served by routes/openapi.py, behind the same login as /docs
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.sparks = sparks
    app.state.fleet = fleet_cache
    app.state.prom_cache = {}
    # keeps each host's printed samples until it polls again (api/metrics.py)
    app.state.prom_renderer = MetricsRenderer()
    # when a rendered body expires (api/routes/prom.py; a seam: tests count the calls)
    app.state.prom_release = memtrim.release
    app.state.processes = ProcessLister(ctx.top_processes) if ctx.top_processes else None
    app.state.auth = _auth_state(ctx)
    live_cfg = ctx.settings.live
    app.state.streams = LiveStreams(live_cfg.max_streams, live_cfg.max_streams_per_client)

    _add_middleware(app, ctx)
    # static files are outside the request budget: they are public, cached by the browser,
    # and a page load would otherwise spend a dozen requests on its scripts and styles
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    for module in (
        health,
        catalog,
        hosts,
        series,
        live,
        prom,
        login,
        pages,
        openapi,
        alert_rules,
        alerts,
        alerts_page,
        db,
    ):
        app.include_router(module.router)

    app.add_exception_handler(RequestValidationError, validation.invalid_request)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{request.url_for('login_form').path}?next={_quote(target)}", 303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # pages get a page (a 404 for a mistyped host reads better than JSON); the API,
        # /metrics and health checks keep FastAPI's JSON {"detail": ...}
        path = request.url.path
        if path.startswith(("/api/", "/metrics", "/healthz", "/readyz", "/static/", "/openapi")):
            return await http_exception_handler(request, exc)
        context = {
            "title": f"{exc.status_code}",
            "message": str(exc.detail),
            "who": None,
            "csrf": "",
        }
        return templates.TemplateResponse(
            request, "message.html", context, exc.status_code, headers=exc.headers
        )

    @app.exception_handler(StoreCorruptError)
    async def store_corrupt(request: Request, exc: StoreCorruptError) -> Response:
        # damaged files on disk, not a bug: a 503 with the part and the reason, not a 500
        log.warning("%s %s: %s", request.method, request.url.path, exc)
        return await http_error(request, StarletteHTTPException(503, str(exc)))

    return app


def _add_middleware(app: FastAPI, ctx: AppContext) -> None:
    """Outermost last: the Host check runs first, security headers wrap even its 400."""
    web = ctx.settings
    if web.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        # the client address (rate limits, sign-in attempts) and scheme come from
        # X-Forwarded-For/-Proto only when the connection is from one of these proxies
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(web.trusted_proxies))
    app.add_middleware(HostCheck, settings=web)
    app.add_middleware(SecurityHeaders, hsts=web.https(), no_store=web.auth.enabled)
    if web.access_log:
        # outermost: every answer is logged, the Host check's 400s included
        app.add_middleware(AccessLog)


def _log_failure(task: asyncio.Task[None]) -> None:
    # a background task that dies must say so, not leave empty sparklines behind
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", task.get_coro(), exc_info=task.exception())


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _auth_state(ctx: AppContext) -> AuthState:
    auth = ctx.settings.auth
    engine = None
    if auth.enabled:
        url = auth.db_url or f"sqlite:///{ctx.data_dir / 'auth.db'}"
        # a corrupt token store is moved aside (tokens must be made again: fails closed);
        # one that still cannot open raises StateUnusable, which `sshmon run` contains
        with localstate.translated(url, "token database"):
            localstate.recover_if_corrupt(url, "token database")
            engine = tokens.open_db(url)
    key = load_secret(ctx.settings.session_secret_file or ctx.data_dir / "session.key")
    limit = ctx.settings.rate_limit
    budgets = TokenBuckets(limit.requests_per_minute / 60, limit.burst) if limit.enabled else None
    return AuthState(engine, key, RateLimiter(auth.login_attempts_per_minute), budgets)


async def _seed_sparks(ctx: AppContext, sparks: Sparks) -> None:
    """Fill sparklines from the store after a restart, one host at a time in the background."""
    end = ctx.clock()
    start = end - SEED_HOURS * 3600
    for host in ctx.inventory.hosts:
        try:
            s = await ctx.queries.run(
                queries.series, host.name, fleet.SPARK_METRIC, None, start, end, 61
            )
        except StoreError as exc:  # a store hiccup only costs old sparkline points
            log.warning("sparkline seed for %s failed: %s", host.name, exc)
            continue
        sparks.seed(host.name, ((p.ts, p.avg) for p in s.points))
    sparks.seeded.set()
