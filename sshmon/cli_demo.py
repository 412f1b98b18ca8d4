"""`sshmon demo`: a simulated fleet to look at in one command.

The fleet (demo/) is a set of in-process SSH targets answering the real probe with a real
capture whose numbers move with a load. Everything else is the real `sshmon run`: the demo
writes an ordinary inventory (hosts, a known_hosts with the targets' generated keys, a data
dir, a banner) into a temporary directory and starts the same composition root on it, so
what it shows is what sshmon does. The directory is removed at exit.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from sshmon.cli_run import ListenOpt, LogOpt, start

if TYPE_CHECKING:
    from demo.targets import Fleet

BANNER = "demo fleet \u2014 simulated hosts"
MAX_HOSTS = 500  # one asyncssh server per host in this process; past this it is a benchmark


def demo(
    hosts: Annotated[
        int, typer.Option("--hosts", min=1, max=MAX_HOSTS, help="How many simulated hosts")
    ] = 50,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5, max=60, help="Seconds between polls")
    ] = 5.0,
    listen: ListenOpt = None,
    log_level: LogOpt = "warning",
) -> None:
    """Start a simulated fleet, poll it for real and serve the dashboard (nothing is kept)."""
    from demo import targets

    with tempfile.TemporaryDirectory(prefix="sshmon-demo-") as tmp, targets.running(hosts) as fleet:
        root = Path(tmp)
        (root / "known_hosts").write_text(fleet.known_hosts_lines())
        inventory = root / "inventory.yaml"
        inventory.write_text(yaml.safe_dump(_inventory(root, fleet, interval), sort_keys=False))
        typer.echo(f"demo: {hosts} simulated hosts on 127.0.0.1, data in {root} (removed at exit)")
        # the log level is warning by default, so the "dashboard on" log line is not shown
        typer.echo(f"demo: dashboard on http://{listen or '127.0.0.1:8080'}/ (Ctrl-C stops)")
        start(inventory, poll=True, web=True, listen=listen, shard=None, log_level=log_level)


def _inventory(root: Path, fleet: Fleet, interval: float) -> dict[str, Any]:
    from demo.targets import LOOPBACK

    hosts = {
        t.host.name: {"address": LOOPBACK, "port": t.port, "labels": {"role": t.host.role.name}}
        for t in fleet.targets
    }
    return {
        "defaults": {
            "interval": interval,
            # a poll of a simulated host takes milliseconds; a down one should show quickly
            "timeout": max(2.0, interval),
            "connect_timeout": 2.0,
            "user": "demo",
            "slow_every": 6,
        },
        "hosts": hosts,
        "poller": {"data_dir": str(root / "data"), "known_hosts": str(root / "known_hosts")},
        "web": {"banner": BANNER},
    }
