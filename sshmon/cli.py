"""The `sshmon` command line: assembles the commands each part defines.

Each command imports what it needs when it runs, so `sshmon --help` stays instant and a
command that only parses text (`replay`) never loads the SSH or ClickHouse stacks.
User mistakes (a bad inventory, an unknown host) print one clear line and exit 2; no traces.
"""

from __future__ import annotations

import typer

from sshmon import cli_poll, cli_replay, cli_rules, cli_run, cli_trust
from sshmon.cli_alerts import alerts_app
from sshmon.cli_config import config_app
from sshmon.cli_tokens import token_app

app = typer.Typer(
    name="sshmon",
    help="Agentless server monitor: polls hosts over SSH, keeps history, serves a dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(cli_poll.check)
app.command()(cli_trust.trust)
app.command()(cli_poll.probe)
app.command()(cli_replay.replay)
app.command()(cli_run.run)
app.command()(cli_run.poll)
app.command()(cli_run.serve)

db_app = typer.Typer(help="Inspect the ClickHouse store.", no_args_is_help=True)
db_app.command("status")(cli_run.db_status)
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
alerts_app.command("rules")(cli_rules.rules)
app.add_typer(alerts_app, name="alerts")
app.add_typer(token_app, name="token")

# inventory import (issue 13): kept as its own block so parallel CLI additions merge cleanly
from sshmon.cli_inventory import inventory_app  # noqa: E402

app.add_typer(inventory_app, name="inventory")

# issue 13: `sshmon demo`, a simulated fleet (kept as its own block: easy to merge)
from sshmon import cli_demo  # noqa: E402

app.command()(cli_demo.demo)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
