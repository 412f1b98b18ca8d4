"""`sshmon config check`: validate the whole config file without starting anything.

Like `promtool check config`: every mistake on its own `file:line: key: what` line and
exit status 2, or a one-line summary and 0. It goes through the same loader as `run` and
`check`, so a file it passes is a file they start with.
"""

from __future__ import annotations

import typer

from poller.yamlfile import ConfigError
from sshmon.cli_common import DEFAULT_INVENTORY, InventoryOpt, err, load_config, out

config_app = typer.Typer(help="Check the config file.", no_args_is_help=True)


@config_app.command("check")
def check(inventory: InventoryOpt = None) -> None:
    """Validate hosts, groups, poller, database, web and alerts (rules, routes, scopes).

    Exits 2 listing every mistake with its file and line, 0 when the file is fine.
    """
    try:
        config = load_config(inventory)
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False, soft_wrap=True)
        n = len(exc.problems)
        path = inventory or DEFAULT_INVENTORY
        err.print(f"{path}: {n} problem{'' if n == 1 else 's'}", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    out.print(f"{config.summary()}: ok", markup=False, soft_wrap=True)
