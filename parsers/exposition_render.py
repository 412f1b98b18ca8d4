"""Samples -> prometheus_client metric families -> text exposition (0.0.4), or JSON.

Split from parsers/exposition.py, which decides what is exported; this module only turns
samples into the official client library's `Metric` families so that escaping, HELP/TYPE
lines and number formatting are prometheus_client's, not ours (printed by
parsers/exposition_text.py, held byte for byte to `generate_latest`). Pure: no I/O.
"""

from __future__ import annotations

import json
import re
import zlib
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Final, NamedTuple

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample as ClientSample

from parsers.exposition_text import Families, LineFormatter, header, text

if TYPE_CHECKING:
    from parsers.exposition import Labels, Sample

__all__ = [
    "Families", "Meta", "Packed", "Printed", "families", "merged", "merged_into", "pack",
    "printed", "render", "render_json", "render_prometheus", "unpack",
]  # fmt: skip

_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# prometheus_client's type for what node_exporter (and text format 0.0.4) calls untyped
_CLIENT_TYPE: Final = {"counter": "counter", "gauge": "gauge", "untyped": "unknown"}
_new: Final = tuple.__new__


# what names a family, printed or not: (the sample name that keys it across hosts, as in
# `families`; Metric.name; HELP; Metric.type)
Meta = tuple[str, str, str, str]


class Printed(NamedTuple):
    """Families printed without their HELP/TYPE: `metas[i]` names the one `lines[i]` holds."""

    metas: tuple[Meta, ...]
    lines: tuple[str, ...]


class Packed(NamedTuple):
    """A `Printed` kept between scrapes, compactly: its lines as one zlib-compressed UTF-8
    text and where each ends. A host's ~200 lines are ~30 KB as strings (issue 15: the one
    biggest per-host cost of `sshmon run` after the poller); repetitive as they are
    (metric names, `instance`, label names), they pack to a few KB, and unpacking costs
    a small part of printing them again."""

    metas: tuple[Meta, ...]
    text: bytes
    # byte offsets in the unpacked UTF-8 text, one per line (4 bytes each): `merged_into`
    # copies each line's bytes into the body without a Python string per line
    ends: array[int]


def pack(part: Printed) -> Packed:
    joined = "".join(part.lines)
    raw = joined.encode("utf-8", "surrogatepass")
    if len(raw) == len(joined):  # ASCII, nearly always: a character is a byte
        ends = array("I", accumulate(map(len, part.lines)))
    else:
        ends = array("I", accumulate(len(_utf8(line)) for line in part.lines))
    return Packed(part.metas, zlib.compress(raw, 1), ends)


def unpack(packed: Packed) -> Printed:
    raw = zlib.decompress(packed.text)
    starts = [0, *packed.ends][: len(packed.ends)]
    pairs = zip(starts, packed.ends, strict=True)
    return Printed(packed.metas, tuple(raw[a:b].decode("utf-8", "surrogatepass") for a, b in pairs))


def _utf8(text: str) -> bytes:
    # lone surrogates (undecodable bytes of a target's names, kept by the parsers) round-trip
    return text.encode("utf-8", "surrogatepass")


_Group = tuple["Sample", list[tuple["Labels", float]]]


def families(samples: Iterable[Sample], extra_labels: Labels = ()) -> list[Metric]:
    """One family per name, in first-seen order, with `extra_labels` overriding the sample's.

    A second value for one label set is dropped: Prometheus rejects a whole scrape with a
    duplicate series, and one odd host must not cost everyone's.
    """
    out = []
    for first, members in _grouped(samples, extra_labels).values():
        name, typ = _family_name(first)
        family = Metric(name, first.help, typ)
        # what `add_sample` appends, without the NamedTuple's Python-level __new__
        family.samples.extend(
            [
                _new(ClientSample, (first.name, dict(labels), value, None, None, None))
                for labels, value in members
            ]
        )
        out.append(family)
    return out


def printed(samples: Iterable[Sample], extra_labels: Labels, formatter: LineFormatter) -> Printed:
    """The families `families` would build, each printed as `generate_latest` prints it,
    without building them: at 1.4 samples a family (a host's readings), making the
    `Metric` and its samples costs more than printing them."""
    metas: list[Meta] = []
    lines: list[str] = []
    for first, members in _grouped(samples, extra_labels).values():
        name, typ = _family_name(first)
        formatter.check(name, typ)
        metas.append((first.name, name, first.help, typ))
        lines.append(formatter.sample_lines(first.name, members))
    return Printed(tuple(metas), tuple(lines))


def merged(parts: Iterable[Printed]) -> str:
    """Printed families of several sources as one text, one family per name in first-seen
    order: the text of `families` over all their samples, if no label set repeats across
    the sources (each host's samples carry its own `instance`)."""
    by_key: dict[str, list[str]] = {}
    # hosts alike export the same families in the same order (one layout): find the
    # family of each position once per layout, not once per host
    layouts: dict[tuple[Meta, ...], list[list[str]]] = {}
    for part in parts:
        slots = layouts.get(part.metas)
        if slots is None:
            slots = layouts[part.metas] = [_slot(by_key, meta) for meta in part.metas]
        for chunks, lines in zip(slots, part.lines, strict=True):
            chunks.append(lines)
    return "".join(["".join(chunks) for chunks in by_key.values()])


def _slot(by_key: dict[str, list[str]], meta: Meta) -> list[str]:
    key, name, documentation, typ = meta
    chunks = by_key.get(key)
    if chunks is None:
        chunks = by_key[key] = [header(name, documentation, typ)]
    return chunks


def merged_into(out: bytearray, parts: Sequence[Packed]) -> None:
    """Append to `out` the UTF-8 of what `merged` prints for the unpacked parts, copying
    each line's bytes straight from its part's unpacked text.

    `merged` holds a string per line of every part, then a string per family, then the
    body, which the response encodes once more: for 1,000 hosts ~105 MB at its peak
    (tracemalloc) for a 24 MB body, and the allocators kept most of it after the scrape
    (`sshmon run`'s RSS grew ~150 MB with one /metrics read; bench/README.md, issue 15).
    Here the peak is the parts' unpacked texts (one bytes object each) and `out`.
    """
    order: dict[str, Meta] = {}  # family key -> the meta printing its header, first seen
    # where each family's line is in a part, per layout (hosts alike share one)
    layouts: dict[tuple[Meta, ...], dict[str, list[int]]] = {}
    texts: list[tuple[dict[str, list[int]], bytes, array[int]]] = []
    for part in parts:
        where = layouts.get(part.metas)
        if where is None:
            where = layouts[part.metas] = {}
            for i, meta in enumerate(part.metas):
                where.setdefault(meta[0], []).append(i)
        for meta in part.metas:
            order.setdefault(meta[0], meta)
        texts.append((where, zlib.decompress(part.text), part.ends))
    for key, (_, name, documentation, typ) in order.items():
        out += _utf8(header(name, documentation, typ))
        for where, raw, ends in texts:
            for i in where.get(key, ()):
                out += raw[ends[i - 1] if i else 0 : ends[i]]


def _grouped(samples: Iterable[Sample], extra_labels: Labels) -> dict[str, _Group]:
    """(first sample, [(labels, value)]) by sample name in first-seen order, duplicates out."""
    for name, _ in extra_labels:
        if not _LABEL_NAME.fullmatch(name):
            raise ValueError(f"invalid label name {name!r}")
    overridden = {name for name, _ in extra_labels}
    out: dict[str, _Group] = {}
    seen: set[tuple[str, Labels]] = set()
    # a host's samples share a few dozen label sets (cpu and mode, one per device): join
    # each with `extra_labels` once, not once per sample
    joined: dict[Labels, Labels] = {}
    for s in samples:
        labels = s.labels
        if extra_labels:
            found = joined.get(labels)
            if found is None:
                found = joined[labels] = extra_labels + tuple(
                    kv for kv in labels if kv[0] not in overridden
                )
            labels = found
        key = (s.name, labels)
        if key in seen:
            continue
        seen.add(key)
        group = out.get(s.name)
        if group is None:
            group = out[s.name] = (s, [])
        group[1].append((labels, s.value))
    return out


def _family_name(s: Sample) -> tuple[str, str]:
    """The family's `Metric.name` and `Metric.type` for its first sample."""
    if s.type == "counter":
        # the client names a counter family without `_total` and adds it back when printing
        if not s.name.endswith("_total"):
            raise ValueError(f"counter {s.name} must end in _total")
        return s.name.removesuffix("_total"), "counter"
    return s.name, _CLIENT_TYPE[s.type]


def render(collected: Iterable[Metric]) -> str:
    """Text exposition format 0.0.4, as prometheus_client's `generate_latest` prints it."""
    return text(collected)


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
