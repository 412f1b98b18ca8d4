"""The `sshmon` command line.

Each command imports what it needs when it runs, so `sshmon --help` stays instant and a
command that only parses text (`replay`) never loads the SSH or ClickHouse stacks.
User mistakes (a bad inventory, an unknown host) print one clear line and exit 2; no traces.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from poller.yamlfile import ConfigError

app = typer.Typer(
    name="sshmon",
    help="Agentless server monitor: polls hosts over SSH, keeps history, serves a dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)

InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory", "-i", envvar="SSHMON_INVENTORY",
        help="Inventory file [default: ./inventory.yaml]",
        show_default=False,
    ),
]


@app.callback()
def _root() -> None:
    """Agentless server monitor: polls hosts over SSH, keeps history, serves a dashboard."""


class UsageError(Exception):
    """A user mistake on the command line: printed as one line, exit status 2."""


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
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


def inventory_path(path: Path | None) -> Path:
    return path if path is not None else Path("inventory.yaml")


def load_config(path: Path | None):  # type: ignore[no-untyped-def]
    from api import config

    return config.load(inventory_path(path))


class ReplayFormat(StrEnum):
    prometheus = "prometheus"
    json = "json"


@app.command()
def replay(
    capture: Annotated[Path | None, typer.Argument(help="A capture saved by `sshmon probe --raw`")] = None,
    root: Annotated[
        Path | None, typer.Option(help="A directory laid out like a target's root (DIR/proc/stat, …)")
    ] = None,
    fmt: Annotated[ReplayFormat, typer.Option("--format", "-f")] = ReplayFormat.prometheus,
) -> None:
    """Parse a capture or a /proc tree offline; print readings with node_exporter names."""
    from parsers import exposition, sections
    from poller import replay as replay_source

    with user_errors():
        if (capture is None) == (root is None):
            raise UsageError("give either a CAPTURE file or --root DIR (not both)")
        if root is not None:
            if not (root / "proc").is_dir():
                raise UsageError(f"{root}: no proc/ directory inside")
            found = replay_source.sections_from_root(root)
        else:
            assert capture is not None
            try:
                text = capture.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                raise UsageError(f"{capture}: cannot read: {exc.strerror}") from None
            found = replay_source.sections_from_capture(text)
            if not found:
                raise UsageError(f"{capture}: no framed probe output found (not a `probe --raw` capture?)")
        parsed = sections.parse_all(found)
        for name, reason in sorted(parsed.failures.items()):
            err.print(f"warning: section {name} skipped: {reason}", markup=False, soft_wrap=True)
        samples = exposition.samples(parsed.readings)
        render: Callable[..., str] = (
            exposition.render_prometheus if fmt is ReplayFormat.prometheus else exposition.render_json
        )
        sys.stdout.write(render(samples))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
