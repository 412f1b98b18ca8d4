"""What every sshmon command shares: the --inventory option, config loading, user errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from poller.yamlfile import ConfigError

if TYPE_CHECKING:
    from api.config import Config

DEFAULT_INVENTORY = Path("inventory.yaml")
err = Console(stderr=True, highlight=False)
# Piped output (scripts, `| less`) gets wide rows instead of rich's default of 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)

InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        envvar="SSHMON_INVENTORY",
        help="Inventory file [default: ./inventory.yaml]",
        show_default=False,
    ),
]


class UsageError(Exception):
    """A user mistake on the command line: printed as one line, exit status 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except UsageError as exc:
        fail(str(exc))


def load_config(path: Path | None) -> Config:
    from api import config

    return config.load(path if path is not None else DEFAULT_INVENTORY)
