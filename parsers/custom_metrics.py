"""User metrics: Prometheus text format (textfile directory, `format: prometheus` commands),
one number (`format: value`) and `key value` lines (`format: keyvalue`).

The text format is parsed by prometheus_client's own parser (the library node_exporter's
textfile collector format is defined by), never by hand. Everything here is untrusted
target text: names and labels are checked, values bounded (parsers/numbers.py), and
anything wrong is a ParseError that quotes the line; the caller decides what it costs.
Pure: text in, samples out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from prometheus_client.parser import text_string_to_metric_families

from parsers.errors import ParseError
from parsers.numbers import LIMIT, bounded_float

NAME: Final = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
MAX_NAME: Final = 128  # characters of a metric or label name
MAX_LABELS: Final = 16  # labels per sample
MAX_LABEL_VALUE: Final = 128  # characters of one label value

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class CustomSample:
    """One user sample: its name, sorted labels and a finite value within the bounds."""

    name: str
    labels: Labels
    value: float
    type: str  # the family's TYPE: counter, gauge, untyped, histogram, summary, …
    help: str


def parse_prometheus(text: str, source: str) -> tuple[CustomSample, ...]:
    """Prometheus text format 0.0.4, as node_exporter's textfile collector reads it."""
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as exc:
        raise ParseError(source, f"invalid Prometheus text format: {exc}") from exc
    out: list[CustomSample] = []
    for family in families:
        for s in family.samples:
            labels = _labels(s.labels, source, s.name)
            out.append(
                CustomSample(
                    _name(s.name, source),
                    labels,
                    _value(s.value, source, s.name),
                    family.type,
                    family.documentation,
                )
            )
    return tuple(out)


def parse_value(text: str, source: str, name: str) -> tuple[CustomSample, ...]:
    """One number (surrounding blank space allowed), as `name`."""
    token = text.strip()
    if not token or len(token.split()) != 1:
        raise ParseError(source, "expected exactly one number", text[:200])
    return (CustomSample(name, (), _number(token, source, token), "gauge", ""),)


def parse_keyvalue(text: str, source: str, name: str) -> tuple[CustomSample, ...]:
    """`key value` lines; each becomes `name` with label key="<key>"."""
    out: list[CustomSample] = []
    for line in text.split("\n"):
        words = line.split()
        if not words:
            continue
        if len(words) != 2:
            raise ParseError(source, "expected `key value`", line)
        key, token = words
        labels = _labels({"key": key}, source, name)
        out.append(CustomSample(name, labels, _number(token, source, line), "gauge", ""))
    return tuple(out)


def _number(token: str, source: str, line: str) -> float:
    # float() reads "nan" and "inf" happily; say so plainly rather than "out of range"
    if token.lstrip("+-").lower() in ("nan", "inf", "infinity"):
        raise ParseError(source, "not a finite number", line)
    return bounded_float(token, source, line)


def _name(name: str, source: str) -> str:
    if len(name) > MAX_NAME or not NAME.fullmatch(name):
        raise ParseError(source, "invalid metric name", name[:200])
    return name


def _labels(labels: dict[str, str], source: str, name: str) -> Labels:
    if len(labels) > MAX_LABELS:
        raise ParseError(source, f"more than {MAX_LABELS} labels", name)
    for key, value in labels.items():
        if len(key) > MAX_NAME or not LABEL_NAME.fullmatch(key):
            raise ParseError(source, "invalid label name", key[:200])
        if len(value) > MAX_LABEL_VALUE:
            raise ParseError(source, f"label {key} longer than {MAX_LABEL_VALUE}", name)
    return tuple(sorted(labels.items()))


def _value(value: float, source: str, name: str) -> float:
    # prometheus_client accepts NaN and +Inf (valid text format), and 400-digit numbers
    # as floats; none of them is a reading worth storing or alerting on
    # (the parser returns ints as ints: float() of a 400-digit one would raise later)
    if isinstance(value, int) and -LIMIT < value < LIMIT:
        return float(value)
    if isinstance(value, float) and math.isfinite(value) and -LIMIT < value < LIMIT:
        return value
    shown = (
        repr(value)
        if len(repr(value)) <= 40
        else f"{repr(value)[:20]}...({len(repr(value))} digits)"
    )
    raise ParseError(source, f"value {shown} is not a finite number below 2**64", name)
