"""`sshmon alerts rules`: the rules in effect (shipped, file, UI), as a table, JSON or the
YAML to put changes made in the UI back into the file. Registered by sshmon/cli.py."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from alerts import rules_view
from alerts.effective import export_yaml
from alerts.messages import format_duration
from alerts.overrides import OverrideStore
from alerts.persist import StateStore
from sshmon.cli_alerts import InventoryOpt, _echo, _opened

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (as GET /api/v1/alerts/rules)")]
ExportOpt = Annotated[
    bool,
    typer.Option(
        "--export", help="Print `alerts.defaults` and `alerts.rules` as YAML for the file"
    ),
]


def rules(
    inventory: InventoryOpt = None, as_json: JsonOpt = False, export: ExportOpt = False
) -> None:
    """The alert rules in effect: where each comes from, its condition and the hosts it covers."""
    with _opened(inventory) as (loaded, db):
        effective = loaded.effective(OverrideStore(db).all())
        alerts = list(StateStore(db).load().items())
    if export:
        typer.echo(export_yaml(loaded.config, effective), nl=False)
        return
    views = rules_view.report(effective, loaded.inventory.hosts, alerts)
    if as_json:
        typer.echo(json.dumps(views, indent=2))
        return
    table = Table("rule", "source", "on", "condition", "for", "hosts", "firing on")
    for v in views:
        source = v["source"] + (f" ({v['updated_by']})" if v["updated_by"] else "")
        overrides = len(v["host_overrides"]) + len(v["group_overrides"])
        hosts = f"{len(v['applies_to'])}" + (f", {overrides} overridden" if overrides else "")
        table.add_row(
            v["name"],
            source,
            "yes" if v["enabled"] else "no",
            v["condition"]["text"],
            format_duration(v["for_s"]),
            hosts,
            ", ".join(v["firing_on"]) or "-",
        )
    # rich escapes nothing from targets here: rule names are checked against NAME_PATTERN,
    # host names come from the inventory
    Console(width=160).print(table)
    if effective.deleted:
        _echo("deleted in the UI: " + ", ".join(d.rule.name for d in effective.deleted))
