"""`sshmon run`, `sshmon poll` and `sshmon serve`: the long-running process in its three shapes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from sshmon.cli_common import InventoryOpt, UsageError, err, load_config, user_errors

if TYPE_CHECKING:
    from api.context import WebSettings
    from sshmon.config import Config
    from store.status import StoreStatus

HTTP_TIMEOUT_S = 30.0  # db status of a big store takes a few seconds

ListenOpt = Annotated[
    str | None,
    typer.Option(help="HOST:PORT for the web app [default: web.host/web.port, 127.0.0.1:8080]"),
]
LogOpt = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=64,
        help="Poller processes [default: poller.workers, else one per core up to 8 and "
        "one per 300 polls a second]; 1 polls in this process",
    ),
]


def run(
    inventory: InventoryOpt = None,
    no_web: Annotated[bool, typer.Option("--no-web", help="Poll and store only")] = False,
    listen: ListenOpt = None,
    workers: WorkersOpt = None,
    log_level: LogOpt = "info",
) -> None:
    """Poll every host, store the history, evaluate alerts and serve the dashboard."""
    start(
        inventory,
        poll=True,
        web=not no_web,
        listen=listen,
        shard=None,
        log_level=log_level,
        workers=workers,
    )


def poll(
    inventory: InventoryOpt = None,
    shard: Annotated[
        str | None, typer.Option(help="K/N: poll only this poller's share of the hosts")
    ] = None,
    workers: WorkersOpt = None,
    log_level: LogOpt = "info",
) -> None:
    """Poll, store and alert without the web app (several pollers share a ClickHouse server)."""
    start(
        inventory,
        poll=True,
        web=False,
        listen=None,
        shard=shard,
        log_level=log_level,
        workers=workers,
    )


def serve(
    inventory: InventoryOpt = None,
    listen: ListenOpt = None,
    log_level: LogOpt = "info",
) -> None:
    """Serve the dashboard and API from the store without polling."""
    start(inventory, poll=False, web=True, listen=listen, shard=None, log_level=log_level)


def start(
    inventory: InventoryOpt,
    *,
    poll: bool,
    web: bool,
    listen: str | None,
    shard: str | None,
    log_level: str,
    workers: int | None = None,
) -> None:
    from api.security import InsecureBindError
    from poller import shard as sharding
    from sshmon import run as runner
    from sshmon.server import ListenError
    from store.errors import StoreError

    _logging(log_level)
    with user_errors():
        config = load_config(inventory)
        roles = runner.Roles(
            poll=poll, web=web, listen=_listen(listen) if listen else None, workers=workers
        )
        if shard is not None:
            try:
                roles.shard = sharding.parse(shard)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        try:
            runner.main(config, roles)
        except (runner.StoreInUse, InsecureBindError, ListenError) as exc:
            raise UsageError(str(exc)) from None
        except StoreError as exc:
            raise UsageError(f"store {config.database.url.split('@')[-1]}: {exc}") from None
        except OSError as exc:  # e.g. the port is taken
            raise UsageError(str(exc)) from None
    err.print("stopped", markup=False)


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen wants HOST:PORT, got {text!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def _logging(level: str) -> None:
    numeric = getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        raise typer.BadParameter(f"unknown log level {level!r}")
    from poller.printable import PrintableFormatter

    # log lines quote hosts, devices and reasons from targets: escaped by the formatter
    handler = logging.StreamHandler()
    handler.setFormatter(PrintableFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=numeric, handlers=[handler])
    # asyncssh logs every connection at INFO: far too chatty for thousands of hosts
    logging.getLogger("asyncssh").setLevel(max(numeric, logging.WARNING))


def db_status(inventory: InventoryOpt = None) -> None:
    """Tables, rows, bytes on disk and oldest/newest sample per tier of the configured store.

    While `sshmon run` holds the embedded store (one process per directory), the running
    process is asked over its HTTP API, at web.host/web.port of the same config; with auth
    on, the token is read from $SSHMON_TOKEN."""
    from sshmon.cli_db import render_status
    from store.errors import StoreError, StoreLockedError
    from store.status import db_status as read_status

    with user_errors():
        config = load_config(inventory)
        try:
            status = read_status(config.database)
        except StoreLockedError as exc:
            status = _status_over_http(config, str(exc))
        except StoreError as exc:
            raise UsageError(f"cannot read the store: {exc}") from None
    typer.echo(render_status(status))


def _status_over_http(config: Config, locked: str) -> StoreStatus:
    import json
    import os
    import urllib.error
    import urllib.request

    from store.rows import TableStats
    from store.status import StoreStatus

    url = _local_url(config.web) + "api/v1/db/status"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token := os.environ.get("SSHMON_TOKEN"):
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        hint = " (set SSHMON_TOKEN to a viewer token)" if exc.code == 401 else ""
        raise UsageError(f"{locked}; asked it at {url}: HTTP {exc.code}{hint}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{locked}; asked it at {url}, no answer: {exc}") from None
    tables = [TableStats(**t) for t in body["tables"]]
    return StoreStatus(body["url"], body["database"], body["embedded"], tables)


def _local_url(web: WebSettings) -> str:
    """The address to reach this config's web app from here: a wildcard bind is reached on
    loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(web.host, web.host)
    return web.model_copy(update={"host": host}).listen_url()
