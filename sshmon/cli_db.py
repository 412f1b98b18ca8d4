"""`sshmon db …`: a typer sub-app the main CLI mounts (`app.add_typer(db_app, name="db")`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from store.errors import StoreError, StoreLockedError
from store.settings import StoreSettings
from store.status import StoreStatus, db_status

db_app = typer.Typer(help="Inspect the ClickHouse store.", no_args_is_help=True)


@db_app.callback()
def _group() -> None:
    """Keeps `db` a command group even while it has a single command."""


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def render_status(status: StoreStatus) -> str:
    """Plain-text table; stable enough for people, not a machine interface."""
    kind = "embedded chDB" if status.embedded else "ClickHouse server"
    lines = [
        f"store: {status.url} ({kind}), database {status.database}",
        f"{'table':<18}{'rows':>14}{'on disk':>12}  {'oldest':<21}{'newest':<21}",
    ]
    for t in status.tables:
        lines.append(
            f"{t.name:<18}{t.rows:>14,}{_size(t.bytes_on_disk):>12}  "
            f"{_when(t.oldest):<21}{_when(t.newest):<21}"
        )
    lines.append(f"{'total':<18}{'':>14}{_size(status.total_bytes):>12}")
    broken = status.broken_parts
    names = ": " + ", ".join(f"{p.table}/detached/{p.name}" for p in broken) if broken else ""
    lines.append(f"broken parts detached: {len(broken)}{names}")
    return "\n".join(lines)


def status_command(settings: StoreSettings) -> int:
    """Print the status of the store; returns the exit code (the main CLI may call this)."""
    try:
        status = db_status(settings)
    except StoreLockedError as exc:
        # `sshmon db status -i INVENTORY` asks the running process over its HTTP API
        typer.echo(f"{exc}; stop it, or run `sshmon db status` with its inventory", err=True)
        return 2
    except StoreError as exc:
        typer.echo(f"cannot read the store: {exc}", err=True)
        return 1
    typer.echo(render_status(status))
    return 0


@db_app.command("status")
def status(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="chdb:///dir or http(s)://user:pass@host:8123/db "
            "(default: $SSHMON_DATABASE_URL, then the configured URL)",
        ),
    ] = None,
) -> None:
    """Tables, rows, bytes on disk, oldest/newest sample per tier."""
    settings = StoreSettings().with_env()
    if database_url:
        settings = settings.model_copy(update={"url": database_url})
    raise typer.Exit(status_command(settings))
