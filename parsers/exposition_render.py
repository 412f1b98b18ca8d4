"""Samples -> Prometheus text exposition (0.0.4) or JSON, printed as node_exporter does.

Split from parsers/exposition.py, which decides what is exported; this module only
formats. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from parsers.exposition import Labels, Sample

_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def render_prometheus(samples: Iterable[Sample], extra_labels: Labels = ()) -> str:
    """Text exposition format 0.0.4: one HELP/TYPE per family, families contiguous."""
    for name, _ in extra_labels:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"invalid label name {name!r}")
    overridden = {name for name, _ in extra_labels}
    families: dict[str, list[Sample]] = {}
    for sample in samples:
        families.setdefault(sample.name, []).append(sample)
    lines: list[str] = []
    for name, members in families.items():
        first = members[0]
        lines.append(f"# HELP {name} {_escape_help(first.help)}")
        lines.append(f"# TYPE {name} {first.type}")
        seen: set[Labels] = set()
        for s in members:
            labels = extra_labels + tuple(kv for kv in s.labels if kv[0] not in overridden)
            if labels in seen:
                continue  # a second value of one series would make the scrape invalid
            seen.add(labels)
            body = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels)
            lines.append(
                f"{name}{{{body}}} {go_float(s.value)}" if body else f"{name} {go_float(s.value)}"
            )
    return "\n".join(lines) + "\n" if lines else ""


def render_json(samples: Iterable[Sample]) -> str:
    return json.dumps(
        [
            {"name": s.name, "labels": dict(s.labels), "value": s.value, "type": s.type}
            for s in samples
        ],
        indent=1,
        allow_nan=False,
    )


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def go_float(value: float) -> str:
    """Format like Go's strconv.FormatFloat(v, 'g', -1, 64), as node_exporter prints."""
    v = float(value)
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "0"
    sign, digits, exp = Decimal(repr(v)).normalize().as_tuple()
    nd, dp = len(digits), len(digits) + int(exp)
    text = "".join(map(str, digits))
    if dp - 1 < -4 or dp - 1 >= 6:  # Go's shortest 'g' switches to %e there
        mant = text[0] + ("." + text[1:] if nd > 1 else "")
        out = f"{mant}e{'+' if dp - 1 >= 0 else '-'}{abs(dp - 1):02d}"
    elif dp <= 0:
        out = "0." + "0" * -dp + text
    else:
        out = text[:dp] + "0" * (dp - nd) + ("." + text[dp:] if nd > dp else "")
    return "-" + out if sign else out
