"""`sshmon trust`: show hosts' SSH host key fingerprints and record the ones you accept.

Several hosts at once, or `--all-unknown`: every inventory host whose key is not recorded
yet (the ones `check` lists as "host key unknown"). Each fingerprint is shown before it is
recorded and each is confirmed on its own unless `--yes`; a changed key is still refused
without `--replace`, whatever else was asked.
"""

from __future__ import annotations

import asyncio
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from poller.printable import printable
from sshmon.cli_common import InventoryOpt, UsageError, err, load_config, out, user_errors

if TYPE_CHECKING:
    from poller.hostkeys import HostKeyOffer
    from poller.inventory import Host
    from poller.ssh import SshSettings

FETCH_CONCURRENCY = 64  # key fetches in flight for --all-unknown; the per-sshd throttle applies


@dataclass(frozen=True)
class _Fetched:
    host: Host
    offer: HostKeyOffer | None
    problem: str = ""


def trust(
    hosts: Annotated[
        list[str] | None,
        typer.Argument(
            help="Host names from the inventory, or jump hosts as \\[user@]host[:port]",
            show_default=False,
        ),
    ] = None,
    inventory: InventoryOpt = None,
    all_unknown: Annotated[
        bool,
        typer.Option("--all-unknown", help="Every inventory host whose key is not recorded yet"),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Record without asking")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Accept a key that differs from the recorded one")
    ] = False,
) -> None:
    """Show hosts' SSH host key fingerprints and record them in sshmon's known_hosts."""
    from sshmon.cli_poll import ssh_settings, target_host

    with user_errors():
        if bool(hosts) == all_unknown:
            raise UsageError("name the hosts to trust, or pass --all-unknown (not both)")
        config = load_config(inventory)
        settings = ssh_settings(config)
        if all_unknown:
            targets = [h for h in config.inventory.hosts if h.transport == "ssh"]
        else:
            targets = [target_host(config, name) for name in hosts or ()]
    fetched = asyncio.run(_fetch_all(targets, settings))
    if all_unknown:
        fetched = [f for f in fetched if f.offer is None or _unknown(f.offer)]
        if not fetched:
            out.print("no host has an unknown key; nothing to do", markup=False)
            return
    results = [_trust_one(f, settings, inventory, yes=yes, replace=replace) for f in fetched]
    if not all(results):
        raise typer.Exit(1)


def _unknown(offer: HostKeyOffer) -> bool:
    return not offer.trusted and not offer.changed


async def _fetch_all(hosts: list[Host], settings: SshSettings) -> list[_Fetched]:
    from poller.errors import PollError
    from poller.ssh import fetch_host_key

    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(host: Host) -> _Fetched:
        if host.transport == "local":
            return _Fetched(host, None)
        async with gate:
            try:
                offer = await fetch_host_key(host, settings.known_hosts, settings=settings)
            except PollError as exc:
                return _Fetched(host, None, f"{exc.state.value}: {exc.reason}")
            return _Fetched(host, offer)

    return list(await asyncio.gather(*(one(h) for h in hosts)))


def _trust_one(
    fetched: _Fetched, settings: SshSettings, inventory: Path | None, *, yes: bool, replace: bool
) -> bool:
    """Show one host's key and record it if accepted; False when it was not recorded."""
    from poller.hostkeys import trust_command
    from poller.ssh import trust as record_key

    host, offer, name = fetched.host, fetched.offer, fetched.host.name
    if host.transport == "local":
        out.print(
            printable(f"{name}: transport: local polls this machine without SSH; no key to trust"),
            markup=False,
        )
        return True
    if offer is None:
        err.print(printable(f"{name}: {fetched.problem}"), markup=False, soft_wrap=True)
        return False
    out.print(
        printable(f"{name} presents a {offer.key_type} key, fingerprint {offer.fingerprint}"),
        markup=False,
        soft_wrap=True,
    )
    if offer.trusted:
        out.print("already trusted; nothing to do", markup=False)
        return True
    if offer.changed:
        whose = name if offer.known else "its address"
        err.print(
            printable(
                f"WARNING: this is NOT the key recorded for {whose}: "
                f"known_hosts has {', '.join(offer.conflicts)}. Someone may be intercepting the "
                "connection, or the host was reinstalled."
            ),
            markup=False,
            soft_wrap=True,  # fingerprints and commands stay whole for copy and paste
        )
        if not replace:
            command = trust_command(name, replace=True)
            if inventory:
                command += f" -i {shlex.quote(str(inventory))}"
            err.print(
                printable(f"refused; once you have verified the new key, run: {command}"),
                markup=False,
                soft_wrap=True,
            )
            return False
    if not yes and not typer.confirm(f"Record {name}'s key in {settings.known_hosts}?", err=True):
        return False
    asyncio.run(record_key(host, settings.known_hosts, offer=offer, settings=settings))
    out.print(printable(f"{name}: recorded in {settings.known_hosts}"), markup=False)
    return True
