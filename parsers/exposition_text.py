"""prometheus_client's text format 0.0.4, byte for byte, without its per-sample overhead.

`generate_latest` checks every label name against a regex, escapes every label value
through three function calls and builds each line with `str.format`, for every sample on
every scrape: half the cost of /metrics at thousands of hosts (bench/metrics_render.py).
This module prints the same bytes from the same `Metric` families: it escapes each
distinct metric name, label pair and label set once per `LineFormatter`, prints integers
below 2**53 itself and leaves every other number to the library's `floatToGoString`.
What it does not print itself (sample timestamps,
the OpenMetrics-only `_created`/`_gsum`/`_gcount` samples that generate_latest moves into
families of their own) goes to `generate_latest` one family at a time, which prints the
same as in one call because it prints each family on its own.
tests/parsers/test_exposition_text.py holds the output to `generate_latest`'s. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import escape_label_name, escape_metric_name
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

# generate_latest's "munging from OpenMetrics into Prometheus format"
_TEXT_TYPE: Final = {
    "info": "gauge",
    "stateset": "gauge",
    "gaugehistogram": "histogram",
    "unknown": "untyped",
}
_NAME_SUFFIX: Final = {"counter": "_total", "info": "_info"}
_OPENMETRICS_ONLY: Final = ("_created", "_gsum", "_gcount")
Labels = tuple[tuple[str, str], ...]
# every integer below 2**53 is a float exactly: float(n) neither rounds nor goes to "e+"
_EXACT: Final = 2**53


class Families(Collector):
    """A fixed list of families, collected once: what `generate_latest` wants as a registry.

    A `CollectorRegistry` would add nothing here: every scrape builds its families anew
    from the newest readings, so there is nothing to register between scrapes.
    """

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


class PrintedFamily(Metric):
    """A family whose sample lines are printed from its owner's state when the body is
    rendered, instead of held as one `Sample` (and a labels dict) per series.

    For families of a series or more per host (sshmon's own collector states: ~130 a host)
    the `Sample` objects were ~40 MB at 1,000 hosts on every scrape, and the printer's memo
    of their label sets as much again; the allocators kept most of it after the scrape
    (issue 15). `print_lines()` yields the lines `LineFormatter.lines` prints for the family
    holding those samples, in order. `generate_latest` would see no samples: print it with
    `text`, `text_into` or `LineFormatter.family`.
    """

    def __init__(
        self, name: str, documentation: str, typ: str, print_lines: Callable[[], Iterable[str]]
    ) -> None:
        super().__init__(name, documentation, typ)
        self.print_lines = print_lines


def header(name: str, documentation: str, typ: str) -> str:
    """`# HELP` and `# TYPE` of a family, from its `Metric.name`, `.documentation`, `.type`."""
    shown = escape_metric_name(name + _NAME_SUFFIX.get(typ, ""))
    doc = documentation.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {shown} {doc}\n# TYPE {shown} {_TEXT_TYPE.get(typ, typ)}\n"


class LineFormatter:
    """Prints sample lines, remembering escaped names and label sets for its lifetime.

    Use one per rendering, not one forever: the memo grows with every distinct label set
    it sees, and label values come from targets.
    """

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._label_sets: dict[Labels, str] = {}
        self._pairs: dict[tuple[str, str], str] = {}
        self._checked: set[tuple[str, str]] = set()

    def lines(self, metric: Metric) -> str | None:
        """The family's sample lines, or None if it holds what only generate_latest prints."""
        special = {metric.name + suffix for suffix in _OPENMETRICS_ONLY}
        for s in metric.samples:
            if s.timestamp is not None or s.name in special:
                return None
        label_text = self.label_text
        return "".join(
            [
                f"{self.name(s.name)}{label_text(tuple(s.labels.items()))} {go_float(s.value)}\n"
                for s in metric.samples
            ]
        )

    def sample_lines(self, name: str, members: Iterable[tuple[Labels, float]]) -> str:
        """Lines of samples of one name, from (labels, value) pairs: what `lines` prints
        for a family holding `Sample(name, dict(labels), value)` for each."""
        shown, label_text = self.name(name), self.label_text
        return "".join(
            [f"{shown}{label_text(labels)} {go_float(value)}\n" for labels, value in members]
        )

    def check(self, name: str, typ: str) -> None:
        """Raise what `Metric(name, ..., typ)` raises (an empty name, or one that fails the
        library's optional legacy validation), checking each name and type once."""
        if (name, typ) not in self._checked:
            Metric(name, "", typ)
            self._checked.add((name, typ))

    def name(self, name: str) -> str:
        shown = self._names.get(name)
        if shown is None:
            shown = self._names[name] = escape_metric_name(name)
        return shown

    def label_text(self, labels: Labels) -> str:
        """`{a="1",b="2"}` sorted by name as generate_latest prints a sample's labels."""
        shown = self._label_sets.get(labels)
        if shown is None:
            # dict() first: a repeated label name keeps its last value, as in a dict
            pairs = sorted(dict(labels).items())
            shown = self._label_sets[labels] = (
                "{" + ",".join([self._pair(pair) for pair in pairs]) + "}" if pairs else ""
            )
        return shown

    def _pair(self, pair: tuple[str, str]) -> str:
        # most pairs repeat across hosts (mode="user", device="sda"): escape each once
        shown = self._pairs.get(pair)
        if shown is None:
            key, value = pair
            shown = self._pairs[pair] = f'{escape_label_name(key)}="{_escaped(value)}"'
        return shown

    def family(self, metric: Metric) -> str:
        """One family's text: header and samples, as generate_latest prints it."""
        if isinstance(metric, PrintedFamily):
            head = header(metric.name, metric.documentation, metric.type)
            return head + "".join(metric.print_lines())
        lines = self.lines(metric)
        if lines is None:
            return generate_latest(Families([metric])).decode("utf-8")
        return header(metric.name, metric.documentation, metric.type) + lines


def go_float(value: float) -> str:
    """`prometheus_client.utils.floatToGoString(value)`, without its float() and repr()
    for the integers most readings are (counts, bytes, pages)."""
    if type(value) is int and -_EXACT < value < _EXACT:
        # repr(float(n)) of such an integer is its digits and ".0"; the library then
        # writes 7 digits and more in Go's exponent form, as Go's strconv does
        digits = str(value)
        if value < 1_000_000:
            return digits + ".0"
        mantissa = f"{digits[0]}.{digits[1:]}0".rstrip("0.")
        return f"{mantissa}e+{len(digits) - 1:02d}"
    return str(floatToGoString(value))  # type: ignore[no-untyped-call]


def label_value(value: str) -> str:
    """A label value escaped as the library escapes it, for `PrintedFamily` printers."""
    return _escaped(value)


def _escaped(value: str) -> str:
    # the library's label value escaping (openmetrics `_escape` with ALLOWUTF8): backslash
    # first, so the backslashes it adds are not doubled again
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def text(families: Iterable[Metric]) -> str:
    """`generate_latest(Families(families)).decode()`, printed faster."""
    formatter = LineFormatter()
    return "".join([formatter.family(m) for m in families])


def text_into(out: bytearray, families: Iterable[Metric]) -> None:
    """Append `text(families)` to `out` as UTF-8, a `PrintedFamily` line by line: no string
    of a whole family of such (or of all families) is ever held."""
    formatter = LineFormatter()
    for m in families:
        if isinstance(m, PrintedFamily):
            out += header(m.name, m.documentation, m.type).encode("utf-8", "surrogatepass")
            for line in m.print_lines():
                out += line.encode("utf-8", "surrogatepass")
        else:
            out += formatter.family(m).encode("utf-8", "surrogatepass")
