"""`sshmon config check`: validate the whole config file without starting anything.

Like `promtool check config`: every mistake on its own `file:line: key: what` line and
exit status 2, or a one-line summary and 0. It goes through the same loader as `run` and
`check`, so a file it passes is a file they start with.
"""

from __future__ import annotations

import typer

from api.cli_common import InventoryOpt, load_config, out, user_errors

config_app = typer.Typer(help="Check the config file.", no_args_is_help=True)


@config_app.command("check")
def check(inventory: InventoryOpt = None) -> None:
    """Validate hosts, groups, poller, database, web and alerts (rules, routes, scopes).

    Exits 2 listing every mistake with its file and line, 0 when the file is fine.
    """
    with user_errors():
        config = load_config(inventory)
    out.print(f"{config.summary()}: ok", markup=False, soft_wrap=True)
