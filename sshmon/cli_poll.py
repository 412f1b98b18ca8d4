"""`sshmon check`, `trust` and `probe`: talk to hosts once, print for people or scripts."""

from __future__ import annotations

import asyncio
import json
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from api import format as fmt
from poller.printable import printable, printable_lines
from sshmon.cli_common import InventoryOpt, UsageError, err, load_config, out, shown, user_errors

if TYPE_CHECKING:
    from poller.check import CheckResult
    from poller.inventory import Host
    from poller.poll import PollOutcome
    from poller.ssh import SshSettings
    from sshmon.config import Config

# Above this many hosts `check` shows a progress bar on stderr while it waits.
PROGRESS_FROM = 10


def ssh_settings(config: Config) -> SshSettings:
    from poller.ssh import SshSettings

    return SshSettings(
        known_hosts=config.poller.known_hosts_path(),
        peers={h.name: h for h in config.inventory.hosts},
        max_unauthenticated=config.poller.max_unauthenticated_per_target,
    )


def find_host(config: Config, name: str) -> Host:
    try:
        return config.inventory.host(name)
    except KeyError:
        known = ", ".join(h.name for h in config.inventory.hosts[:10])
        raise UsageError(f"no host named {name!r} in {config.path} (hosts: {known})") from None


def check(
    inventory: InventoryOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per host")] = False,
) -> None:
    """Connect to every host once: state, connect latency, OS/kernel, reason.

    Exits 1 when any host is not ok.
    """
    from poller.check import check as run_check

    with user_errors():
        config = load_config(inventory)
    hosts = config.inventory.hosts
    settings = ssh_settings(config)
    show_bar = len(hosts) >= PROGRESS_FROM and not as_json and err.is_terminal
    with Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not show_bar,
    ) as bar:
        task = bar.add_task("check", total=len(hosts))
        results = asyncio.run(
            run_check(
                hosts, settings.known_hosts, settings=settings, progress=lambda _: bar.advance(task)
            )
        )
    if as_json:
        for r in results:
            sys.stdout.write(json.dumps({**asdict(r), "state": r.state.value}) + "\n")
    else:
        out.print(_check_table(results))
    unknown = [r.host for r in results if r.state == "host_key_unknown"]
    if unknown and not as_json:
        err.print(printable(_trust_hint(unknown, inventory)), markup=False, soft_wrap=True)
    bad = sum(not r.ok for r in results)
    if bad:
        err.print(f"{bad} of {len(results)} hosts not ok", markup=False)
        raise typer.Exit(1)


def _trust_hint(unknown: Sequence[str], inventory: Path | None) -> str:
    """The exact command that records the unknown keys, for copy and paste."""
    names = " ".join(shlex.quote(n) for n in unknown) if len(unknown) <= 5 else "--all-unknown"
    where = f" -i {shlex.quote(str(inventory))}" if inventory else ""
    return (
        f"{len(unknown)} host key{'s' if len(unknown) > 1 else ''} not known yet; to see "
        f"the fingerprints and record them, run: sshmon trust {names}{where}"
    )


def _check_table(results: Sequence[CheckResult]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("host", "state", "connect", "os", "kernel", "reason"):
        table.add_column(column, no_wrap=column != "reason", overflow="fold")
    for r in results:
        connect = f"{r.connect_ms:.0f} ms" if r.connect_ms is not None else fmt.NONE
        table.add_row(
            shown(r.host),
            shown(r.state.value, "green" if r.ok else "red"),
            connect,
            shown(r.os_name),
            shown(r.kernel),
            shown(r.reason) if r.reason else "",
        )
    return table


def _target(inventory: Path | None, name: str) -> tuple[Host, SshSettings]:
    """The inventory host `name` and the SSH settings to reach it (user errors exit 2)."""
    with user_errors():
        config = load_config(inventory)
        return find_host(config, name), ssh_settings(config)


def target_host(config: Config, name: str) -> Host:
    """An inventory host, or a jump host written as `[user@]host[:port]` (how `jump:` and
    ProxyJump name hops that have no inventory entry, and how check's message names it)."""
    from poller.errors import PollError

    try:
        return find_host(config, name)
    except UsageError as exc:
        try:
            hop = _jump_hop(config, name)
        except PollError as bad:
            raise UsageError(bad.reason) from None
        if hop is None:
            # e.g. a ProxyJump alias from ~/.ssh/config: its key is checked under the
            # HostName and Port the config gives it
            raise UsageError(
                f"{exc}; a jump host outside the inventory is trusted as [user@]host:port"
            ) from None
        return hop


def _jump_hop(config: Config, name: str) -> Host | None:
    from poller.ssh import jump_host

    for host in config.inventory.hosts:
        hops = [hop.strip() for hop in (host.jump or "").split(",")]
        if name in hops:
            # a later hop is reached only through the ones before it
            before = ",".join(hops[: hops.index(name)]) or None
            return jump_host(name, {}).model_copy(update={"jump": before})
    if "@" in name or ":" in name:
        return jump_host(name, {})
    return None


def probe(
    host: Annotated[str, typer.Argument(help="Host name from the inventory")],
    inventory: InventoryOpt = None,
    interval: Annotated[
        float, typer.Option(min=0.1, max=600, help="Seconds between the two polls")
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="Poll once; print the framed output exactly as received")
    ] = False,
) -> None:
    """Poll HOST twice and print its readings and derived points (or, with --raw, a capture)."""
    from poller.check import probe_once, probe_twice

    target, settings = _target(inventory, host)
    if raw:
        outcome = asyncio.run(probe_once(target, settings.known_hosts, settings=settings))
        _exit_unless_ok(outcome)
        if sys.stdout.isatty():
            # a person is reading: the target's bytes, control characters shown escaped;
            # redirected to a file it stays the exact capture `replay` reads
            sys.stdout.write(printable_lines((outcome.raw or b"").decode(errors="replace")))
        else:
            sys.stdout.buffer.write(outcome.raw or b"")
        return
    _, second = asyncio.run(
        probe_twice(target, settings.known_hosts, interval=interval, settings=settings)
    )
    _exit_unless_ok(second)
    if as_json:
        sys.stdout.write(_probe_json(second) + "\n")
    else:
        _print_probe(second)


def _exit_unless_ok(outcome: PollOutcome) -> None:
    status = outcome.status
    for section, reason in sorted(outcome.failures.items()):
        # a section with a reading only left some rows out (it says how many)
        verb = "" if section in outcome.readings else " skipped"
        err.print(printable(f"warning: section {section}{verb}: {reason}"), markup=False)
    if status.state.value != "ok":
        err.print(printable(f"{status.host}: {status.state.value}: {status.reason}"), markup=False)
        raise typer.Exit(1)


def _probe_json(outcome: PollOutcome) -> str:
    from parsers.exposition import render_json
    from poller import exposition

    samples = json.loads(render_json(exposition.samples(outcome.readings)))
    from api.present import rounded

    points = [
        {"metric": p.metric, "dev": p.dev, "ts": p.ts, "value": rounded(p.metric, p.value)}
        for p in outcome.points
    ]
    return json.dumps(
        {
            "host": outcome.status.host,
            "readings": samples,
            "points": points,
            "failures": dict(outcome.failures),
        },
    )


def _print_probe(outcome: PollOutcome) -> None:
    from prometheus_client import utils

    from poller import exposition
    from poller.catalog import METRICS

    readings = Table(title="readings (node_exporter names)", box=None, title_justify="left")
    readings.add_column("metric", overflow="fold")
    readings.add_column("value", justify="right")
    # the client's own number format, as /metrics prints it (the library ships it untyped)
    go_float = cast(Callable[[float], str], utils.floatToGoString)
    for s in exposition.samples(outcome.readings):
        labels = ",".join(f'{k}="{v}"' for k, v in s.labels)
        readings.add_row(shown(f"{s.name}{{{labels}}}" if labels else s.name), go_float(s.value))
    points = Table(title="derived points", box=None, title_justify="left")
    for column in ("metric", "dev", "value", "meaning"):
        points.add_column(column, overflow="fold")
    for p in sorted(outcome.points, key=lambda p: (p.metric, p.dev)):
        spec = METRICS.get(p.metric)
        if spec is None:  # a user metric (custom:<name>): no unit or meaning to show
            points.add_row(shown(p.metric), shown(p.dev), _human(p.value, "count"), "user metric")
            continue
        points.add_row(
            p.metric, shown(p.dev) if p.dev else "", _human(p.value, spec.unit), spec.description
        )
    out.print(readings)
    out.print()
    out.print(points)


def _human(value: float, unit: str) -> str:
    """One derived point for people, in the unit the catalog gives it; a small value keeps
    its significant digits rather than printing as 0 (a 3.6 ms await, 0.01 errors/s)."""
    if unit == "bytes":
        return fmt.size(value)
    if unit == "bytes_per_second":
        return fmt.rate(value)
    if unit == "percent":
        return fmt.percent(value) if value == 0 or abs(value) >= 1 else f"{value:.2g} %"
    if unit == "seconds":
        return fmt.seconds(value)
    if unit == "timestamp":
        return fmt.utc(value)
    if unit == "celsius":
        return f"{value:g} °C"
    if unit == "per_second":
        return f"{fmt.significant(value)}/s"
    if unit == "count" and value == int(value):
        return f"{value:.0f}"
    return fmt.significant(value)
