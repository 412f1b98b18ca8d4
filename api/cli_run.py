"""`sshmon run`, `sshmon poll` and `sshmon serve`: the long-running process in its three shapes."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from api.cli_common import InventoryOpt, UsageError, err, load_config, user_errors

ListenOpt = Annotated[
    str | None,
    typer.Option(help="HOST:PORT for the web app [default: web.host/web.port, 127.0.0.1:8080]"),
]
LogOpt = Annotated[str, typer.Option("--log-level", help="debug, info, warning or error")]


def run(
    inventory: InventoryOpt = None,
    no_web: Annotated[bool, typer.Option("--no-web", help="Poll and store only")] = False,
    listen: ListenOpt = None,
    log_level: LogOpt = "info",
) -> None:
    """Poll every host, store the history, evaluate alerts and serve the dashboard."""
    start(inventory, poll=True, web=not no_web, listen=listen, shard=None, log_level=log_level)


def poll(
    inventory: InventoryOpt = None,
    shard: Annotated[
        str | None, typer.Option(help="K/N: poll only this poller's share of the hosts")
    ] = None,
    log_level: LogOpt = "info",
) -> None:
    """Poll, store and alert without the web app (several pollers share a ClickHouse server)."""
    start(inventory, poll=True, web=False, listen=None, shard=shard, log_level=log_level)


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
) -> None:
    from api import run as runner
    from api.security import InsecureBindError
    from api.server import ListenError
    from poller import shard as sharding
    from store.errors import StoreError

    _logging(log_level)
    with user_errors():
        config = load_config(inventory)
        roles = runner.Roles(poll=poll, web=web, listen=_listen(listen) if listen else None)
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
    """Tables, rows, bytes on disk and oldest/newest sample per tier of the configured store."""
    from store.cli import status_command

    with user_errors():
        config = load_config(inventory)
    raise typer.Exit(status_command(config.database))
