"""A host's readings as node_exporter-named samples, user metrics included (for /metrics
and `sshmon probe`); `sshmon replay` has no user metrics and uses the registry's alone."""

from __future__ import annotations

from collections.abc import Mapping

from parsers.exposition import Sample
from poller.collectors import custom, registry


def samples(readings: Mapping[str, object]) -> list[Sample]:
    out = registry.samples(readings)
    user = custom.samples(readings)
    if user:
        out = sorted([*out, *user], key=lambda s: (s.name, s.labels))
    return out
