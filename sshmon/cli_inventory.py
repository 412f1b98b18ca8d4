"""`sshmon inventory import ansible FILE`: start an inventory from an Ansible one.

Prints the sshmon inventory YAML, or writes it with `--output FILE` (never over an existing
file unless `--force`). What could not be carried over (passwords) is said on stderr, so
stdout stays a clean file when redirected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from sshmon.cli_common import err, fail, user_errors

inventory_app = typer.Typer(help="Create or convert inventory files.", no_args_is_help=True)
import_app = typer.Typer(help="Convert another tool's inventory.", no_args_is_help=True)
inventory_app.add_typer(import_app, name="import")

OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write here instead of printing", show_default=False),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists")]


@import_app.command("ansible")
def ansible(
    source: Annotated[Path, typer.Argument(help="Ansible inventory, INI or YAML form")],
    output: OutputOpt = None,
    force: ForceOpt = False,
) -> None:
    """Hosts, groups (children flattened), ansible_host/port/user/ssh_private_key_file.

    Other Ansible variables are left out; passwords are never copied (use password_env).
    Check the result with `sshmon config check -i FILE`.
    """
    from poller import ansible as ansible_inventory

    if output is not None and output.exists() and not force:
        fail(f"{output} exists; pass --force to overwrite it")
    with user_errors():
        converted = ansible_inventory.load(source)
    text = render(source, converted.data)
    for note in converted.notes:
        err.print(f"note: {note}", markup=False, soft_wrap=True)
    if output is None:
        typer.echo(text, nl=False)  # as is: rich would wrap or restyle the YAML
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror or exc}")
    hosts = len(converted.data.get("hosts", {}))
    err.print(f"{output}: {hosts} host{'' if hosts == 1 else 's'} written", markup=False)


def render(source: Path, data: dict[str, object]) -> str:
    header = (
        f"# sshmon inventory, imported from the Ansible inventory {source}\n"
        "# by `sshmon inventory import ansible`. Check it with `sshmon config check -i FILE`;\n"
        "# every key is described in docs/configuration.md.\n"
    )
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return header + body
