"""The fast printer can never drift from prometheus_client: same families, same bytes."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peer_fixtures import FIXTURES, capture_sections
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
    SummaryMetricFamily,
    UnknownMetricFamily,
)
from prometheus_client.utils import floatToGoString

from parsers.exposition import Sample, families
from parsers.exposition_render import merged, merged_into, pack, printed, unpack
from parsers.exposition_text import Families, LineFormatter, go_float, text, text_into
from poller.collectors.registry import parse_all
from poller.collectors.status import OK, CollectorState, CollectorStatus
from poller.exposition import samples
from poller.health import PollHealth
from poller.points import HostState, PollStatus
from poller.replay import sections_from_root

INSTANCE = (("instance", "web-1"),)


def library(collected: list[Metric]) -> str:
    return generate_latest(Families(collected)).decode("utf-8")


def _captured() -> list[list[Sample]]:
    return [
        samples(parse_all(sections_from_root(FIXTURES / "procfs")).readings),
        samples(parse_all(capture_sections()).readings),
    ]


@pytest.mark.parametrize("extra", [(), INSTANCE], ids=["bare", "instance"])
@pytest.mark.parametrize("index", [0, 1], ids=["procfs-tree", "probe-capture"])
def test_real_captures_print_as_generate_latest(index: int, extra: tuple[()]) -> None:
    found = _captured()[index]
    built = families(found, extra)
    assert text(built) == library(built)
    # and the host path, which prints the same families without building them
    assert merged([printed(found, extra, LineFormatter())]) == library(built)


def test_sshmon_own_families_print_as_generate_latest() -> None:
    health = PollHealth()
    health.observe(PollStatus("a", 1.0, HostState.OK, "", 0.004), {"net_dev": 3})
    health.observe(PollStatus('b"\\\n', 2.0, HostState.TIMEOUT, "why", 12.0))
    collected = list(health.collect())
    assert text(collected) == library(collected)


def test_own_families_printed_when_rendered_print_as_the_sample_path() -> None:
    """`collect_printed` (what /metrics renders, issue 15) prints what `collect` does:
    escaping, label order, every family, through `text` and `text_into` alike."""
    health = PollHealth()
    failed = CollectorStatus(CollectorState.FAILED, "no")
    gone = CollectorStatus(CollectorState.UNAVAILABLE)
    health.observe(
        PollStatus("b", 1.0, HostState.OK, "", 0.004), {"net_dev": 3}, {"cpu": OK, "mem": failed}
    )
    health.observe(PollStatus('a"\\\n\u00e9', 2.0, HostState.TIMEOUT, "why", 12.0), {}, {"x": gone})
    health.observe(PollStatus("b", 3.0, HostState.AUTH_FAILED, "key", 0.1), {"net_dev": 1})
    collected = list(health.collect())
    printed_later = list(health.collect_printed())
    health.observe(PollStatus("c", 4.0, HostState.OK, "", 0.1))  # after the snapshot
    expected = library(collected)
    assert 'sshmon_collector_state{collector="mem",host="b",state="failed"} 1.0' in expected
    assert text(printed_later) == expected
    body = bytearray()
    text_into(body, printed_later)
    assert body.decode() == expected
    assert text(list(PollHealth().collect_printed())) == library(list(PollHealth().collect()))


def _odd_families() -> list[Metric]:
    """Every family type and sample shape the library prints, the odd ones included."""
    created = CounterMetricFamily("c", "with _created", labels=("a",), created=12.5)
    created.add_metric(("1",), 3, created=7.25)
    stamped = GaugeMetricFamily("g", "stamped", labels=("a",))
    stamped.add_metric(("x",), 1.5, timestamp=1700000000.123)
    stateset = StateSetMetricFamily("s", "states", value={"on": True, "off": False})
    info = InfoMetricFamily("i", "info", value={"version": '1"\\\n'})
    return [
        created,
        stamped,
        stateset,
        info,
        HistogramMetricFamily("h", "h\\elp\nx", buckets=[("1.0", 2), ("+Inf", 3)], sum_value=4),
        GaugeHistogramMetricFamily("gh", "gauge h", buckets=[("+Inf", 3)], gsum_value=1.5),
        SummaryMetricFamily("su", "summary", count_value=3, sum_value=1.5),
        UnknownMetricFamily("u", "untyped", value=-0.0),
        GaugeMetricFamily("e", "empty", labels=("a",)),
        Metric("bytes", "with unit", "gauge", unit="bytes"),
    ]


def test_every_family_type_and_the_odd_samples_print_as_generate_latest() -> None:
    collected = _odd_families()
    assert text(collected) == library(collected)


_VALUES = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 999_999, 1_000_000, 1_200_000, 2**53 - 1, 2**53, 2**53 + 1]),
)


@settings(max_examples=500, deadline=None)
@given(_VALUES)
def test_numbers_print_as_float_to_go_string(value: float) -> None:
    assert go_float(value) == floatToGoString(value)


_LABEL_NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,6}", fullmatch=True)
_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    # any non-empty name: the library escapes the ones that are not legacy metric names
    name=st.one_of(
        st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,10}", fullmatch=True), _TEXT.filter(bool)
    ),
    help_=_TEXT,
    typ=st.sampled_from(["counter", "gauge", "untyped"]),
    series=st.lists(
        st.tuples(st.lists(st.tuples(_LABEL_NAMES, _TEXT), max_size=3), _VALUES), max_size=5
    ),
    extra=st.sampled_from([(), INSTANCE, (("a", "x"),)]),
)
def test_any_names_labels_and_values_print_as_generate_latest(
    name: str,
    help_: str,
    typ: str,
    series: list[tuple[list[tuple[str, str]], float]],
    extra: tuple[tuple[str, str], ...],
) -> None:
    """Escaping, label order, repeated label names, duplicates, overrides, odd numbers."""
    name = name + "_total" if typ == "counter" else name
    found = [Sample(name, tuple(labels), value, typ, help_) for labels, value in series]  # type: ignore[arg-type]
    built = families(found, extra)
    assert text(built) == library(built)
    part = printed(found, extra, LineFormatter())
    assert merged([part]) == library(built)
    assert unpack(pack(part)) == part  # kept packed between scrapes (api/metrics.py)
    body = bytearray()
    merged_into(body, [pack(part)])  # what /metrics sends: the same text, as UTF-8
    assert bytes(body) == merged([part]).encode("utf-8", "surrogatepass")


def test_a_host_packs_to_a_fraction_of_its_lines_and_back() -> None:
    # issue 15: a host's printed lines held as strings were ~30 KB of the owner's memory
    part = printed(_captured()[1], INSTANCE, LineFormatter())
    packed = pack(part)
    assert unpack(packed) == part
    as_strings = sys.getsizeof(part.lines) + sum(map(sys.getsizeof, part.lines))
    assert sys.getsizeof(packed.text) + sys.getsizeof(packed.ends) < as_strings / 4
    odd = part._replace(lines=("a\udcff\n", "", "\u00e9\U0001f600\n"))
    assert unpack(pack(odd)) == odd  # lone surrogates and non-ASCII round-trip too


def test_families_of_several_hosts_merge_as_one_families_call() -> None:
    found = _captured()[1]
    hosts = [(("instance", f"h{i}"),) for i in range(3)]
    formatter = LineFormatter()  # shared across hosts, as in one render
    parts = [printed(found, extra, formatter) for extra in hosts]
    everyone = [
        Sample(s.name, (*extra, *s.labels), s.value, s.type, s.help)
        for extra in hosts
        for s in found
    ]
    assert merged(parts) == library(families(everyone))


def test_packed_hosts_of_two_layouts_merge_as_their_strings_do() -> None:
    """The body /metrics sends (api/metrics.py): hosts of different collector sets
    interleaved, each family's lines still in host order, non-ASCII and lone surrogates
    (undecodable names from a target) byte for byte as `merged` then UTF-8 would give."""
    tree, capture = _captured()
    odd = [Sample("node_odd", (("dev", "caf\u00e9\udcff"),), 1.0, "gauge", "h\u00e9")]
    formatter = LineFormatter()
    parts = [
        printed(tree, (("instance", "a"),), formatter),
        printed(capture + odd, (("instance", "b"),), formatter),
        printed(tree, (("instance", "c"),), formatter),
        printed([], (), formatter),  # no stored rows
        printed(odd, (("instance", "d"),), formatter),
    ]
    body = bytearray(b"# own\n")
    merged_into(body, [pack(p) for p in parts])
    assert bytes(body) == b"# own\n" + merged(parts).encode("utf-8", "surrogatepass")
    assert b'dev="caf\xc3\xa9\xed\xb3\xbf"' in body
    empty = bytearray()
    merged_into(empty, [])
    assert empty == b""


def test_a_nan_value_prints_as_the_library_does() -> None:
    built = families([Sample("node_x", (), math.nan, "gauge", "h")])
    assert text(built) == library(built) == "# HELP node_x h\n# TYPE node_x gauge\nnode_x NaN\n"


def test_a_name_the_library_refuses_is_refused_by_both_paths() -> None:
    found = [Sample("", (), 1, "gauge", "h")]
    with pytest.raises(ValueError, match="empty"):
        families(found)
    with pytest.raises(ValueError, match="empty"):
        printed(found, (), LineFormatter())
