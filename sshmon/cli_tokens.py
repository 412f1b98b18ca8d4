"""`sshmon token create|list|revoke`: API and login tokens in the store the web app reads.

The database is the one `sshmon run` uses: `web.auth.db_url`, else DATA_DIR/auth.db.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from api.tokens import Role
from sshmon.cli_common import InventoryOpt, err, fail, load_config, out, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

token_app = typer.Typer(help="API and login tokens (stored hashed).", no_args_is_help=True)


def _engine(inventory: InventoryOpt) -> Engine:
    from api import tokens
    from sshmon import datadir
    from store import localstate

    with user_errors():
        config = load_config(inventory)
    url = config.web.auth.db_url
    if url is None:
        data = datadir.prepare(config.poller.data_path())
        url = f"sqlite:///{data / 'auth.db'}"
    try:
        with localstate.translated(url, "token database"):
            return tokens.open_db(url)
    except localstate.StateUnusable as exc:
        # not moved aside here: `sshmon run` may be using it; its next start does that
        fail(f"{exc} (`sshmon run` moves a corrupt file aside when it starts)")


@token_app.command("create")
def create(
    role: Annotated[Role, typer.Option("--role")] = Role.viewer,
    name: Annotated[str, typer.Option("--name", help="What the token is for")] = "token",
    person: Annotated[
        str,
        typer.Option(
            "--person",
            help="Who gets it: silences, maintenance and acks made with it are recorded "
            "under this name",
        ),
    ] = "",
    inventory: InventoryOpt = None,
) -> None:
    """Create a token and print it once; only its hash is kept."""
    from api import tokens

    info, token = tokens.create(_engine(inventory), name, role, time.time(), person=person)
    out.print(token, markup=False, highlight=False)
    err.print(
        f"token {info.id} ({info.role}): store it now, it cannot be shown again", markup=False
    )


@token_app.command("list")
def list_(inventory: InventoryOpt = None) -> None:
    """List tokens: id, role, prefix, state, created, name, person."""
    from api import tokens

    for t in tokens.list_tokens(_engine(inventory)):
        state = "active" if t.active else "revoked"
        created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(t.created_at))
        out.print(
            f"{t.id}\t{t.role}\t{t.prefix}…\t{state}\t{created}Z\t{t.name}\t{t.person or '-'}",
            markup=False,
        )


@token_app.command("revoke")
def revoke(
    token_id: Annotated[int, typer.Argument(help="id from `sshmon token list`")],
    inventory: InventoryOpt = None,
) -> None:
    """Revoke a token: API calls and browser sessions made with it stop working at once."""
    from api import tokens

    if not tokens.revoke(_engine(inventory), token_id, time.time()):
        err.print(f"no active token with id {token_id}", markup=False)
        raise typer.Exit(2)
    out.print(f"revoked {token_id}", markup=False)
