"""`sshmon replay`: parse a capture or a /proc tree offline, print node_exporter-named readings."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from poller.printable import printable, printable_lines
from sshmon.cli_common import UsageError, err, user_errors


class ReplayFormat(StrEnum):
    prometheus = "prometheus"
    json = "json"


def replay(
    capture: Annotated[
        Path | None, typer.Argument(help="A capture saved by `sshmon probe --raw`")
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option(help="A directory laid out like a target's root (DIR/proc/stat, …)"),
    ] = None,
    fmt: Annotated[ReplayFormat, typer.Option("--format", "-f")] = ReplayFormat.prometheus,
) -> None:
    """Parse a capture or a /proc tree offline; print readings with node_exporter names."""
    from parsers import exposition
    from poller import replay as replay_source
    from poller.collectors import registry

    with user_errors():
        if (capture is None) == (root is None):
            raise UsageError("give either a CAPTURE file or --root DIR (not both)")
        if capture is None:
            assert root is not None  # exactly one of the two, checked above
            if not (root / "proc").is_dir():
                raise UsageError(f"{root}: no proc/ directory inside")
            found = replay_source.sections_from_root(root)
        else:
            try:
                text = capture.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                raise UsageError(f"{capture}: cannot read: {exc.strerror}") from None
            found = replay_source.sections_from_capture(text)
            if not found:
                raise UsageError(
                    f"{capture}: no framed probe output found (not a `probe --raw` capture?)"
                )
        parsed = registry.parse_all(found)
        for name, reason in sorted(parsed.failures.items()):
            verb = "" if name in parsed.readings else " skipped"  # or just some rows
            warning = printable(f"warning: section {name}{verb}: {reason}")
            err.print(warning, markup=False, soft_wrap=True)
        samples = registry.samples(parsed.readings)
        render: Callable[..., str] = (
            exposition.render_prometheus
            if fmt is ReplayFormat.prometheus
            else exposition.render_json
        )
        text = render(samples)
        if sys.stdout.isatty():
            # for a person: label values (mount points, interfaces) come from the target.
            # Piped, the output stays exact for the tools that parse it.
            text = printable_lines(text)
        sys.stdout.write(text)
