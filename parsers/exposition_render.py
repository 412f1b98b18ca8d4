"""Samples -> prometheus_client metric families -> text exposition (0.0.4), or JSON.

Split from parsers/exposition.py, which decides what is exported; this module only turns
samples into the official client library's `Metric` families so that escaping, HELP/TYPE
lines and number formatting are prometheus_client's, not ours. Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Final

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from parsers.exposition import Labels, Sample

_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# prometheus_client's type for what node_exporter (and text format 0.0.4) calls untyped
_CLIENT_TYPE: Final = {"counter": "counter", "gauge": "gauge", "untyped": "unknown"}


class Families(Collector):
    """A fixed list of families, collected once: what `generate_latest` wants as a registry.

    A `CollectorRegistry` would add nothing here: every scrape builds its families anew
    from the newest readings, so there is nothing to register between scrapes.
    """

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def families(samples: Iterable[Sample], extra_labels: Labels = ()) -> list[Metric]:
    """One family per name, in first-seen order, with `extra_labels` overriding the sample's.

    A second value for one label set is dropped: Prometheus rejects a whole scrape with a
    duplicate series, and one odd host must not cost everyone's.
    """
    for name, _ in extra_labels:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"invalid label name {name!r}")
    overridden = {name for name, _ in extra_labels}
    out: dict[str, Metric] = {}
    seen: set[tuple[str, Labels]] = set()
    for s in samples:
        labels = (
            extra_labels + tuple(kv for kv in s.labels if kv[0] not in overridden)
            if extra_labels
            else s.labels
        )
        key = (s.name, labels)
        if key in seen:
            continue
        seen.add(key)
        family = out.get(s.name)
        if family is None:
            family = out[s.name] = _family(s)
        family.add_sample(s.name, dict(labels), s.value)
    return list(out.values())


def _family(s: Sample) -> Metric:
    if s.type == "counter":
        # the client names a counter family without `_total` and adds it back when printing
        if not s.name.endswith("_total"):
            raise ValueError(f"counter {s.name} must end in _total")
        return Metric(s.name.removesuffix("_total"), s.help, "counter")
    return Metric(s.name, s.help, _CLIENT_TYPE[s.type])


def render(collected: Iterable[Metric]) -> str:
    """Text exposition format 0.0.4, as prometheus_client prints it."""
    return generate_latest(Families(collected)).decode("utf-8")


def render_prometheus(samples: Iterable[Sample], extra_labels: Labels = ()) -> str:
    return render(families(samples, extra_labels))


def render_json(samples: Iterable[Sample]) -> str:
    return json.dumps(
        [
            {"name": s.name, "labels": dict(s.labels), "value": s.value, "type": s.type}
            for s in samples
        ],
        indent=1,
        allow_nan=False,
    )
