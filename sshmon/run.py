"""`sshmon run` / `poll` / `serve`: the composition root.

One process, one event loop: the scheduler polls, its sink hands every outcome to the writer
(a worker thread), the alert engine, the live hub and the health counters without awaiting;
uvicorn serves the app inside the same loop. With `--workers N` (N > 1) the polling runs in
N child processes instead (sshmon/workers.py), whose polls reach the same sink. chDB lets
one process own a data path, so with the embedded store everything else must live here;
with a ClickHouse server, `poll --shard K/N` and `serve` can run apart.

Signals: SIGTERM/SIGINT stop (host tasks are cancelled, each closing its connection, then the
alert engine and the writer flush); a second SIGTERM/SIGINT during that cuts the wait short:
whatever is still being awaited is cancelled and the process exits after flushing what it
can. SIGHUP, or a change to the file seen by the watcher, reloads the inventory: an invalid
file keeps the old one running and logs exactly what is wrong, with the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from api.context import WebSettings
from poller import shard as sharding
from poller.health import PollHealth
from poller.poll import PollOutcome
from poller.yamlfile import ConfigError
from sshmon.config import Config
from sshmon.config import load as load_config

if TYPE_CHECKING:
    # only for annotations: each part is imported when its role starts, so `sshmon serve`
    # never loads asyncssh and `sshmon poll` never loads the web stack
    from alerts.runtime import AlertsRuntime
    from api.context import AppContext
    from api.hub import Hub
    from poller.inventory import Host
    from poller.scheduler import Scheduler
    from poller.ssh import Connector
    from poller.transport import LocalLink, SshLink
    from sshmon.workers import SshBase, WorkerPool
    from store.brokenparts import BrokenParts
    from store.writer import Writer

log = logging.getLogger("sshmon")

RELOAD_CHECK_S = 5.0  # how often the watcher looks at the inventory file's mtime
ALERT_TICK_S = 5.0
WRITER_FLUSH_S = 15.0  # the writer's last flush on a normal stop
HURRIED_FLUSH_S = 3.0  # the same after a second signal: the operator wants out now
LEFTOVER_TASKS_S = 2.0  # at exit, how long tasks still running get to end after a cancel
# `ps` of a big box is ~100 bytes a process: 1 MiB is 10,000 processes, plenty for a top-15
TOP_OUTPUT_CAP = 1024 * 1024
TOP_TIMEOUT_S = 10.0


class StoreInUse(Exception):
    """The embedded store's directory is held by another live process."""


@dataclass
class Roles:
    poll: bool = True
    web: bool = True
    shard: sharding.Shard | None = None
    listen: tuple[str, int] | None = None
    workers: int | None = None  # --workers; None: poller.workers, else workers.auto_count


@dataclass
class Parts:
    """What this process has started so far; a part stays None where its role is off
    (no scheduler in `serve`, no web context in `poll`) or until it has started."""

    socket: socket.socket | None = None  # the web port, bound before anything starts
    alerts: AlertsRuntime | None = None
    scheduler: Scheduler | None = None
    connector: Connector | None = None
    # host -> its current link, for commands run on the poller's own session (`top`)
    links: dict[str, SshLink | LocalLink] | None = None
    # with --workers N > 1, the poller processes instead of scheduler/connector/links
    workers: WorkerPool | None = None
    hub: Hub | None = None
    ctx: AppContext | None = None


@dataclass
class Running:
    """What a running sshmon holds; `stop` ends it."""

    config: Config
    roles: Roles
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    hurried: bool = False  # a second stop signal came: skip the remaining waits
    health: PollHealth = field(default_factory=PollHealth)
    parts: Parts = field(default_factory=Parts)
    # part name -> None while it works, else the one-line reason it is off (dashboard, /metrics)
    components: dict[str, str | None] = field(default_factory=dict)
    # things that went wrong at start and cost data, for the dashboard banner
    notices: list[str] = field(default_factory=list)
    # store parts the engine has detached as broken (None: not known, e.g. `serve`)
    broken_parts: int | None = None


def check_store_free(config: Config) -> None:
    from store import db

    if not db.is_embedded(config.database.url):
        return
    path = db.chdb_path(config.database.url)
    pid = db.lock_owner(path)
    if pid is not None:
        raise StoreInUse(
            f"the embedded store {path} is in use by process {pid} (another `sshmon run`?). "
            "Stop it, or point database.url at a ClickHouse server to run several processes."
        )


def hosts_for(config: Config, roles: Roles) -> list[Host]:
    hosts = list(config.inventory.hosts)
    if roles.shard is None:
        return hosts
    mine = set(sharding.select([h.name for h in hosts], roles.shard))
    return [h for h in hosts if h.name in mine]


async def run(config: Config, roles: Roles) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set by a test)."""
    from sshmon import datadir

    # first of all: everything written from here on (store, spool, alerts.db, auth.db,
    # session.key) lands owner-only in an owner-only directory
    datadir.prepare(config.poller.data_path())
    check_store_free(config)
    # Bind the web port before anything else starts: a taken port is then one clear error,
    # and "dashboard on …" is only ever logged for an address that is really ours.
    sock = _listen(config, roles)
    # Open the store before taking the signals: chDB's engine installs its own SIGTERM and
    # SIGINT handlers when it starts, which would otherwise replace ours silently.
    try:
        broken = await asyncio.to_thread(_migrate, config)
    except BaseException:
        if sock is not None:
            sock.close()
        raise
    state = Running(config, roles)
    state.parts.socket = sock
    state.broken_parts = len(broken.all)
    if broken.new:
        state.notices.append(broken.message())
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    assert main is not None  # run() is always awaited inside a task

    def on_stop_signal(sig: signal.Signals) -> None:
        if not state.stop.is_set():
            log.info("%s: stopping (send it again to exit at once)", sig.name)
            state.stop.set()
            return
        # the first signal's orderly stop is waiting on something: cancel that wait; the
        # flushes still run, with a short deadline
        log.warning("%s again: exiting now, flushing what can be flushed", sig.name)
        state.hurried = True
        main.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_stop_signal, sig)
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(reload(state)))
    try:
        await _run(state)
    except asyncio.CancelledError:
        if not state.hurried:
            raise
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        if sock is not None:
            sock.close()  # uvicorn closes it when it served; this covers a failed start


def _listen(config: Config, roles: Roles) -> socket.socket | None:
    from sshmon import server

    return server.listen(web_settings(config, roles)) if roles.web else None


def web_settings(config: Config, roles: Roles) -> WebSettings:
    """`web:` with --listen applied."""
    web = config.web
    if roles.listen is not None:
        host, port = roles.listen
        web = web.model_copy(update={"host": host, "port": port})
    return web


def main(config: Config, roles: Roles) -> None:
    """`asyncio.run(run(config, roles))`, except that tasks still running at the end get
    LEFTOVER_TASKS_S after a cancel rather than forever: asyncio.run waits for every task
    it cancels, so one stuck task would keep a stopped sshmon alive until SIGKILL."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run(config, roles))
    finally:
        try:
            _end_leftovers(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _end_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    _, stuck = loop.run_until_complete(asyncio.wait(leftovers, timeout=LEFTOVER_TASKS_S))
    for task in stuck:
        log.warning("%s still running at exit; abandoned", task.get_name())
    for task in leftovers:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("%s failed at exit: %r", task.get_name(), task.exception())


async def _run(state: Running) -> None:
    from store.writer import Writer

    config = state.config
    writer = Writer(config.database)
    writer.start()
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(_close_writer, writer, state)
        tasks: list[asyncio.Task[object]] = []
        if state.roles.poll:
            await _start_alerts(state, writer, stack, tasks)
            await _start_poller(state, writer, stack)
            tasks.append(asyncio.create_task(_watch(state), name="inventory watcher"))
        if state.roles.web:
            tasks.append(asyncio.create_task(_serve(state, writer), name="web"))
        # pushed last so it runs first: the tasks end before the poller and the alerts stop
        stack.push_async_callback(_end_tasks, tasks, state)
        where = ""
        if state.roles.web:
            where = f"; dashboard on {web_settings(config, state.roles).listen_url()}"
        log.info("sshmon running: %d hosts%s", len(hosts_for(config, state.roles)), where)
        stopper = asyncio.create_task(state.stop.wait())
        tasks.append(stopper)
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        state.stop.set()
        failed = [t for t in done if t is not stopper and t.exception() is not None]
        if failed:
            raise failed[0].exception()  # type: ignore[misc]


async def _end_tasks(tasks: list[asyncio.Task[object]], state: Running) -> None:
    """The rest loop until cancelled; the web server is not cancelled but ends on `stop`
    within its graceful-shutdown bound (cancelled, uvicorn would log tracebacks)."""
    state.stop.set()
    for task in tasks:
        if task.get_name() != "web":
            task.cancel()
    if tasks:
        # not gather: a second signal cancels this wait and must not cascade into the web
        # server; the loop's end cancels whatever still runs then
        await asyncio.wait(tasks)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved here; a failure was raised by _run already


def _migrate(config: Config) -> BrokenParts:
    """Apply the schema, then report parts the engine detached as broken while opening."""
    from store import brokenparts, db, migrations

    client = db.connect(config.database)
    try:
        migrations.migrate(client, config.database)
        return brokenparts.check(client)
    finally:
        client.close()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _close_writer(writer: Writer, state: Running) -> None:
    seconds = HURRIED_FLUSH_S if state.hurried else WRITER_FLUSH_S
    started = time.monotonic()
    flushed = writer.close(timeout=seconds)
    log.info("writer closed in %.1f s", time.monotonic() - started)
    if not flushed:
        log.warning("writer did not flush everything in %g s; the rest stays in the spool", seconds)


async def _start_alerts(
    state: Running,
    writer: Writer,
    stack: contextlib.AsyncExitStack,
    tasks: list[asyncio.Task[object]],
) -> None:
    """Start the alert part; unusable alert state switches only this part off (DESIGN.md,
    Reliability): polling and storing go on, and the reason is logged and on /metrics."""
    from alerts import runtime
    from store import localstate

    shard = state.roles.shard
    loaded = state.config.alerts_loaded()
    what = "alerts database"
    try:
        with localstate.translated(loaded.db_url, what):
            recovered = await asyncio.to_thread(localstate.recover_if_corrupt, loaded.db_url, what)
            alerts = runtime.build(
                loaded,
                store_events=writer.submit_alert_event,
                link_base=link_base(state),
                owner=f"{shard.k}/{shard.n}" if shard is not None else "",
            )
            await alerts.start()
    except localstate.StateUnusable as exc:
        log.error("alerts are off: %s", exc)
        state.components["alerts"] = str(exc)
        return
    state.components["alerts"] = None
    if recovered is not None:
        state.notices.append(
            f"{what} {recovered.path} was corrupt ({recovered.reason}); moved to "
            f"{recovered.moved_to.name}: silences, acknowledgements and alert state from "
            "before are in that file, not in use"
        )
    stack.push_async_callback(alerts.stop)
    state.parts.alerts = alerts
    tasks.append(asyncio.create_task(alerts.engine.run(ALERT_TICK_S), name="alert ticks"))


def link_base(state: Running) -> str:
    """Where links in notifications point when `alerts.link_base` is not set: the public
    address the operator gave (`web.base_url`), else the address this process serves on."""
    web = state.config.web
    if web.base_url:
        return web.base_url
    host, port = state.roles.listen or (web.host, web.port)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def worker_count(state: Running, hosts: list[Host]) -> int:
    from sshmon import workers

    return (
        state.roles.workers
        or state.config.poller.workers
        or workers.auto_count(workers.polls_per_s(hosts))
    )


async def _start_poller(state: Running, writer: Writer, stack: contextlib.AsyncExitStack) -> None:
    hosts = hosts_for(state.config, state.roles)
    count = worker_count(state, hosts)
    if count > 1:
        await _start_workers(state, writer, stack, hosts, count)
        return
    from poller.gcpolicy import manage_gc
    from poller.scheduler import SystemClock, ssh_scheduler
    from poller.ssh import Connector
    from sshmon.cli_poll import ssh_settings

    clock = SystemClock()
    connector = Connector(ssh_settings(state.config))
    links: dict[str, SshLink | LocalLink] = {}
    # the same wiring the fault tests and the poller benchmark drive
    scheduler = ssh_scheduler(_sink(state, writer), connector, clock, links=links)
    await scheduler.start(hosts)
    stack.push_async_callback(scheduler.stop)
    # freeze long-lived objects once every host has connected: full GC passes over them
    # stalled 2,000 hosts for up to 2.7 s (poller/gcpolicy.py)
    gc_task = asyncio.create_task(manage_gc(clock, settle_s=_settle_s(hosts)), name="gc policy")
    stack.push_async_callback(_cancel, gc_task)
    state.parts.scheduler, state.parts.connector, state.parts.links = scheduler, connector, links


def _settle_s(hosts: list[Host]) -> float:
    """When every host has connected once: the longest interval plus connect timeout."""
    return max((h.interval for h in hosts), default=10.0) + max(
        (h.connect_timeout for h in hosts), default=10.0
    )


async def _start_workers(
    state: Running,
    writer: Writer,
    stack: contextlib.AsyncExitStack,
    hosts: list[Host],
    count: int,
) -> None:
    """N poller processes (sshmon/workers.py) feeding the same sink as one would."""
    from poller.gcpolicy import manage_gc
    from poller.scheduler import SystemClock
    from sshmon import workers

    level = logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower()
    pool = workers.WorkerPool(count, _sink(state, writer), _ssh_base(state.config, count), level)
    state.parts.workers = pool
    stack.push_async_callback(_stop_workers, pool, state)
    await pool.start(hosts, state.config.inventory.hosts)
    # the owner keeps the single process's GC policy too: its long-lived objects (alert
    # state, the fleet view, the writer's) are as many as the hosts
    gc_task = asyncio.create_task(manage_gc(SystemClock(), settle_s=_settle_s(hosts)))
    stack.push_async_callback(_cancel, gc_task)
    log.info("polling with %d worker processes", count)


def _warn_if_restart_needed(state: Running, hosts: list[Host]) -> None:
    """Between one process and worker processes the poller's whole wiring differs (the
    scheduler here, or a pool of processes): that switch is left to a restart."""
    running = state.parts.workers.count if state.parts.workers is not None else 1
    wanted = worker_count(state, hosts)
    if (wanted > 1) != (running > 1):
        log.warning(
            "poller.workers (or the hosts' polls a second) now asks for %s; "
            "that applies at the next start (running %s)",
            f"{wanted} worker processes" if wanted > 1 else "one process",
            f"{running} worker processes" if running > 1 else "one process",
        )


def _ssh_base(config: Config, count: int) -> SshBase:
    from sshmon import workers

    return workers.SshBase(
        known_hosts=config.poller.known_hosts_path(),
        # the per-target connect budget (sshd's MaxStartups) is shared by all the workers
        max_unauthenticated=max(1, config.poller.max_unauthenticated_per_target // count),
    )


async def _stop_workers(pool: WorkerPool, state: Running) -> None:
    from sshmon.workers import DRAIN_DEADLINE_S

    await pool.stop(HURRIED_FLUSH_S if state.hurried else DRAIN_DEADLINE_S)


def _sink(state: Running, writer: Writer) -> Callable[[PollOutcome], None]:
    """Called once per poll on the event loop; nothing here may block or await."""
    health, parts = state.health, state.parts

    def sink(outcome: PollOutcome) -> None:
        status = outcome.status
        writer.submit(outcome.points)
        writer.submit_status(status)
        if outcome.host_info is not None:
            writer.submit_host_info(outcome.host_info)
        health.observe(status, outcome.dropped, outcome.collectors, outcome.schedule_lag_s)
        # read on every poll: the web part (and its hub) may start after the poller
        if parts.alerts is not None:
            parts.alerts.engine.observe(status, outcome.points, status.ts)
        if (hub := parts.hub) is not None:
            hub.publish(status.host, status, outcome.points, outcome.readings)

    return sink


async def _serve(state: Running, writer: Writer) -> None:
    from api.app import create_app
    from sshmon import server
    from store.localstate import StateUnusable

    ctx = build_context(state, writer)
    state.parts.ctx = ctx
    try:
        try:
            app = create_app(ctx)
        except StateUnusable as exc:  # the token store: only the web part goes off
            log.error("web app is off: %s", exc)
            state.components["web"] = str(exc)
            await state.stop.wait()
            return
        state.components["web"] = None
        await server.serve(app, ctx.settings, state.stop, state.parts.socket)
    finally:
        ctx.queries.close()


def build_context(state: Running, writer: Writer) -> AppContext:
    from api.context import AppContext, QueryPool
    from api.hub import Hub
    from api.metrics import local_state_families, writer_families
    from store import db

    config = state.config
    web = web_settings(config, state.roles)
    hub = Hub()
    state.parts.hub = hub
    return AppContext(
        settings=web,
        queries=QueryPool(lambda: db.connect(config.database), web.query_threads),
        inventory=config.inventory,
        hub=hub,
        self_metrics=lambda: [
            # per-host families printed when rendered, not held as samples (issue 15)
            *state.health.collect_printed(),
            *writer_families(writer.stats()),
            *local_state_families(state.components, state.broken_parts),
            *(state.parts.workers.families() if state.parts.workers else ()),
        ],
        collector_status=state.health.collectors_of,
        problems=lambda: _problems(state),
        top_processes=_top_processes(state),
        remote_exposition=state.parts.workers.exposition if state.parts.workers else None,
        firing_alerts=_firing(state),
        alerts=state.parts.alerts,
        data_dir=config.poller.data_path(),
        database=config.database,
    )


def _problems(state: Running) -> list[str]:
    off = [
        f"{name} is off: {reason}"
        for name, reason in sorted(state.components.items())
        if reason is not None
    ]
    return off + state.notices


def _top_processes(state: Running) -> Callable[[str], Awaitable[str]] | None:
    pool = state.parts.workers
    if pool is not None:

        async def top_from_worker(host: str) -> str:
            return (await pool.top(host)).decode("utf-8", errors="replace")

        return top_from_worker
    links = state.parts.links
    if links is None:
        return None

    async def top(host: str) -> str:
        from parsers import cmd_ps
        from poller.errors import ProbeFailed

        link = links.get(host)
        if link is None:
            raise ProbeFailed(f"{host} is not polled by this process")
        output: bytes = await link.run_command(
            cmd_ps.COMMAND, cap=TOP_OUTPUT_CAP, timeout=TOP_TIMEOUT_S
        )
        return output.decode("utf-8", errors="replace")

    return top


def _firing(state: Running) -> Callable[[], dict[str, int]] | None:
    from api.routes.alerts import firing_by_host

    alerts = state.parts.alerts
    if alerts is None:
        return None
    return lambda: firing_by_host(alerts.engine)


async def reload(state: Running) -> bool:
    """Re-read the config file; apply the new host set or keep the old one and say why."""
    from alerts.errors import NotifyConfigError

    parts = state.parts
    try:
        # one read of the file: the alerts take their section from the same Config
        config = await asyncio.to_thread(load_config, state.config.path)
        rules = await asyncio.to_thread(config.alerts_loaded) if parts.alerts else None
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("inventory not reloaded: %s", problem)
        return False
    if parts.alerts is not None and rules is not None:
        try:
            parts.alerts.notifier.check(rules.config)
        except NotifyConfigError as exc:
            log.error("inventory not reloaded: %s", exc)
            return False
    old, state.config = state.config, config
    hosts = hosts_for(config, state.roles)
    if parts.scheduler is not None:
        if parts.connector is not None:
            parts.connector.update_peers(config.inventory.hosts)
        gone = {h.name for h in parts.scheduler.hosts} - {h.name for h in hosts}
        await parts.scheduler.replace_hosts(hosts)
        state.health.forget(gone)
        for name in gone:
            if parts.links is not None:
                parts.links.pop(name, None)
    if parts.workers is not None:
        gone = {h.name for h in hosts_for(old, state.roles)} - {h.name for h in hosts}
        # hosts keep their worker (the hash of a name among N), so a reload only moves
        # added, removed and changed hosts; each worker keeps the sessions of the rest
        # a new worker count (poller.workers, or the automatic one for a new host count)
        # grows or shrinks the pool; down to one process needs a restart (below)
        count = worker_count(state, hosts)
        count = count if count > 1 else parts.workers.count
        await parts.workers.apply(hosts, config.inventory.hosts, count, _ssh_base(config, count))
        state.health.forget(gone)
    _warn_if_restart_needed(state, hosts)
    if parts.alerts is not None and rules is not None:
        # rules, routes and hosts together; the routes were checked above, so this applies
        parts.alerts.reconfigure(rules)
    if parts.ctx is not None:
        parts.ctx.inventory = config.inventory
    log.info("inventory reloaded: %d hosts", len(hosts))
    return True


async def _watch(state: Running) -> None:
    """Reload when the file changes (editors replace it, so compare mtime and inode)."""
    path: Path = state.config.path

    def stamp() -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    seen = stamp()
    while not state.stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.stop.wait(), RELOAD_CHECK_S)
        now = stamp()
        if now is not None and now != seen:
            seen = now
            await reload(state)
