"""User metrics: the textfile directory and operator-written commands, as collectors.

They are not in the registry's tuple because each host has its own (from the inventory):
`textfile` reads DIR/*.prom with the same `tail` as /proc; `command:<name>` runs one
fixed command line every `every` polls. Both land like built-in metrics:

- stored as metric `custom:<name>` with the labels as a canonical string in `dev`
  (`a="x",b="y"`, sorted, escaped as in the text format), so the narrow points table,
  the API, charts and alert rules (`metric: custom:<name>`) hold them without a schema
  change, and a user name can never overwrite a catalog metric in the store;
- exported on /metrics with their own names and labels.

Bounded: a name that collides with a built-in metric (a catalog name, `node_*`,
`sshmon_*`) is refused, label counts and lengths are capped (parsers/custom_metrics.py),
and at most `max_custom_series` series per host are kept; every refusal is the reason
of that collector's status, nothing else is affected. Pure: sections in, result out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from parsers.custom_metrics import (
    MAX_NAME,
    NAME,
    CustomSample,
    parse_keyvalue,
    parse_prometheus,
    parse_value,
)
from parsers.errors import ParseError
from parsers.exposition import Sample, SampleType
from parsers.frame import Section
from poller.catalog import METRICS
from poller.collectors.base import Triple
from poller.collectors.status import OK, CollectorState, CollectorStatus

PREFIX: Final = "custom:"
TEXTFILE: Final = "textfile"
TEXTFILE_SECTION: Final = "textfile:"  # + file name (parsers/frame.py makes them)
COMMAND: Final = "command:"  # + command name: collector and section name
RESERVED_PREFIXES: Final = ("node_", "sshmon_")
# what a command's wrapper prints after its output (poller/probe.py), and how timeout ends
RC_MARK: Final = "\n@@rc "
TIMED_OUT_RCS: Final = frozenset({124, 143})
MAX_REASONS: Final = 3  # problems quoted in a status; the rest are counted


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What the poller needs of one inventory command (poller/inventory.py validates it)."""

    name: str
    run: str
    every: int
    timeout_s: int
    format: str
    max_output_bytes: int


@dataclass(frozen=True, slots=True)
class CustomReading:
    """One user collector's samples of one poll (kept for /metrics like any reading)."""

    collector: str
    samples: tuple[CustomSample, ...]


@dataclass
class CustomResult:
    readings: dict[str, CustomReading] = field(default_factory=dict)
    statuses: dict[str, CollectorStatus] = field(default_factory=dict)
    triples: list[Triple] = field(default_factory=list)


def collision(name: str) -> str | None:
    """Why a user metric name may not be used, or None."""
    if name in METRICS or name.startswith(RESERVED_PREFIXES):
        return f"name {name} collides with a built-in metric"
    return None


def rule_name_problem(metric: str) -> str | None:
    """Why `custom:<name>` cannot name a user metric in an alert rule, or None."""
    name = metric.removeprefix(PREFIX)
    if not NAME.fullmatch(name) or len(name) > MAX_NAME:
        return f"{metric!r}: after {PREFIX} comes a Prometheus metric name"
    return collision(name)


def dev_of(labels: Iterable[tuple[str, str]]) -> str:
    """The canonical label string stored in `dev` (sorted, text-format escaping)."""
    return ",".join(f'{k}="{_escape(v)}"' for k, v in labels)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def collect(
    sections: Mapping[str, Section],
    textfile_dir: str | None,
    commands: Iterable[CommandSpec],
    max_series: int,
) -> CustomResult:
    """Parse, check and bound the user collectors that ran this poll. `commands`: those
    that were due (the others keep their last status)."""
    result = CustomResult()
    budget = [max_series]
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    if textfile_dir is not None:
        files = sorted(n for n in sections if n.startswith(TEXTFILE_SECTION))
        if not files:
            result.readings[TEXTFILE] = CustomReading(TEXTFILE, ())  # none left: none kept
            result.statuses[TEXTFILE] = CollectorStatus(
                CollectorState.UNAVAILABLE, f"no *.prom files in {textfile_dir}"
            )
        else:
            problems: list[str] = []
            samples: list[CustomSample] = []
            for name in files:
                label = name.removeprefix(TEXTFILE_SECTION)
                try:
                    found = parse_prometheus(sections[name].text, label)
                except ParseError as exc:
                    problems.append(str(exc))  # the whole file, as node_exporter does
                    continue
                samples += _checked(found, label, seen, problems)
            _finish(result, TEXTFILE, samples, problems, budget)
    for cmd in commands:
        collector = COMMAND + cmd.name
        problems = []
        samples = []
        section = sections.get(collector)
        if section is None:
            problems.append("no output section (probe cut off?)")
        else:
            try:
                samples = list(_checked(_command(section.text, cmd), cmd.name, seen, problems))
            except ParseError as exc:
                problems.append(str(exc))
        _finish(result, collector, samples, problems, budget)
    return result


def _command(text: str, cmd: CommandSpec) -> tuple[CustomSample, ...]:
    at = text.rfind(RC_MARK)
    if at < 0:
        raise ParseError(
            cmd.name, f"output over {cmd.max_output_bytes} bytes (max_output_bytes), cut off"
        )
    rc_text = text[at + len(RC_MARK) :].strip()
    out = text[:at]
    rc = int(rc_text) if rc_text.isdigit() and len(rc_text) < 4 else -1
    if rc in TIMED_OUT_RCS:
        raise ParseError(cmd.name, f"timed out after {cmd.timeout_s} s")
    if rc != 0:
        raise ParseError(cmd.name, f"exited with status {rc_text[:10]!r}", out[-200:])
    if cmd.format == "prometheus":
        return parse_prometheus(out, cmd.name)
    if cmd.format == "keyvalue":
        return parse_keyvalue(out, cmd.name, cmd.name)
    return parse_value(out, cmd.name, cmd.name)


def _checked(
    samples: Iterable[CustomSample],
    source: str,
    seen: set[tuple[str, tuple[tuple[str, str], ...]]],
    problems: list[str],
) -> list[CustomSample]:
    out = []
    for s in samples:
        why = collision(s.name)
        key = (s.name, s.labels)
        if why is None and key in seen:
            why = f"series {s.name}{{{dev_of(s.labels)}}} already came from another source"
        if why is not None:
            problems.append(f"{source}: {why}")
            continue
        seen.add(key)
        out.append(s)
    return out


def _finish(
    result: CustomResult,
    collector: str,
    samples: list[CustomSample],
    problems: list[str],
    budget: list[int],
) -> None:
    kept = samples[: max(0, budget[0])]
    budget[0] -= len(kept)
    if len(kept) < len(samples):
        problems.append(
            f"{len(samples) - len(kept)} series dropped over the host's cap (max_custom_series)"
        )
    result.readings[collector] = CustomReading(collector, tuple(kept))
    add = result.triples.append
    for s in kept:
        add((PREFIX + s.name, dev_of(s.labels), s.value))
    if problems:
        more = len(problems) - MAX_REASONS
        reason = "; ".join(problems[:MAX_REASONS]) + (f"; and {more} more" if more > 0 else "")
        result.statuses[collector] = CollectorStatus(CollectorState.FAILED, reason)
    else:
        result.statuses[collector] = OK


_TYPES: Final[Mapping[str, SampleType]] = {"counter": "counter", "gauge": "gauge"}


def samples(readings: Mapping[str, object]) -> list[Sample]:
    """User samples for /metrics under their own names (histogram parts, summaries and
    unknown types as untyped: each sample is exported on its own)."""
    out = []
    for reading in readings.values():
        if isinstance(reading, CustomReading):
            for s in reading.samples:
                typ = _TYPES.get(s.type, "untyped")
                if typ == "counter" and not s.name.endswith("_total"):
                    typ = "untyped"  # prometheus_client names counter samples *_total
                out.append(Sample(s.name, s.labels, s.value, typ, s.help or f"{s.name} (user)"))
    return out
