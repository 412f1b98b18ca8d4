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
from rich.text import Text

from api.format import NONE
from poller.printable import printable
from poller.yamlfile import ConfigError

if TYPE_CHECKING:
    from sshmon.config import Config

DEFAULT_INVENTORY = Path("inventory.yaml")
EXAMPLE_INVENTORY = "inventory.example.yaml"
# emoji off: rich would turn `:fire:` in a target's text into a picture
err = Console(stderr=True, highlight=False, emoji=False)
# Piped output (scripts, `| less`) gets wide rows instead of rich's default of 80 columns.
out = Console(highlight=False, emoji=False, width=None if sys.stdout.isatty() else 200)

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
    err.print(f"[bold red]error:[/] {escape(printable(message))}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


def shown(text: str | None, style: str = "") -> Text:
    """Target text for a rich table or line: control characters escaped, and a Text, so
    rich reads no markup in it (`[bold]` in a hostname prints as written)."""
    return Text(printable(text), style=style) if text else Text(NONE)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(printable(problem), markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except UsageError as exc:
        fail(str(exc))


def load_config(path: Path | None) -> Config:
    from sshmon import config

    path = path if path is not None else DEFAULT_INVENTORY
    if not path.exists():
        raise ConfigError([f"{path}: file not found", *_first_inventory_hint(path)])
    return config.load(path)


def _first_inventory_hint(path: Path) -> list[str]:
    """A first run has no inventory yet: say how to make one (the example sits next to it
    in a checkout), and that a fleet to look at needs none."""
    example = path.parent / EXAMPLE_INVENTORY
    start = (
        f"start from the example: cp {example} {path}"
        if example.is_file()
        else f"start from {EXAMPLE_INVENTORY} in the sshmon source: copy it to {path}"
    )
    return [
        f"{start}, then add your hosts (or pass --inventory FILE, or set SSHMON_INVENTORY)",
        "just looking? `sshmon demo` runs a simulated fleet without any inventory",
    ]
