"""MetricsRenderer prints what the library path prints, scrape after scrape, cache or not."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric

from api.hub import Published
from api.metrics import MetricsRenderer, exposition, host_samples, writer_families
from parsers.exposition import families
from parsers.exposition_text import Families
from poller.collectors.registry import parse_all
from poller.health import PollHealth
from poller.points import HostState, PollStatus
from poller.replay import sections_from_capture
from store.rows import LatestRow
from store.writer import WriterStats

NOW = 1_000.0
INTERVAL = 10.0
CAPTURES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "local").glob("probe-*.txt"))


def capture_readings() -> list[Mapping[str, object]]:
    """Readings of the two real probe captures (same machine, different values)."""
    return [parse_all(sections_from_capture(p.read_text())).readings for p in CAPTURES]


def reference(
    own: list[Metric],
    published: dict[str, Published],
    latest: list[LatestRow],
    intervals: dict[str, float],
) -> str:
    """The uncached library path: families of every sample, printed by generate_latest."""
    part = host_samples(published, latest, intervals, NOW)
    text = generate_latest(Families([*own, *families(part)])).decode("utf-8")
    assert exposition(own, part) == text
    return text


_seq = iter(range(1, 1_000_000))


def poll(ts: float, readings: Mapping[str, object]) -> Published:
    """A new poll's readings, as the hub publishes them (each with a new seq)."""
    return Published(ts, readings, next(_seq))


def own_families() -> list[Metric]:
    health = PollHealth()
    health.observe(PollStatus("web-1", NOW, HostState.OK, "", 0.02))
    health.observe(PollStatus("db-1", NOW, HostState.TIMEOUT, "timed out", 10.0))
    stats = WriterStats(1, 2, 3, None, 4, 0, 0, 0, 0, 0)
    return [*health.collect(), *writer_families(stats)]


def test_renders_equal_the_library_path_as_hosts_poll_go_stale_and_leave() -> None:
    readings = capture_readings()
    hosts = ["a-1", "b-1", "c-1", 'evil"\\\n']
    intervals = dict.fromkeys([*hosts, "stale-1", "stored-1"], INTERVAL)
    published = {host: poll(NOW, readings[i % 2]) for i, host in enumerate(hosts)}
    published["stale-1"] = poll(NOW - 2 * INTERVAL - 1, readings[0])
    published["gone-1"] = poll(NOW, readings[0])  # not in the inventory
    latest = [
        LatestRow("stored-1", "load1", "", NOW - 5, 0.5),
        LatestRow("stored-1", "fs_size_bytes", "/", NOW - 300, 1e9),  # slow round: older
        LatestRow("stored-1", "cpu_busy_pct", "", NOW - 5, 12.0),  # no node_exporter name
        LatestRow("a-1", "load1", "", NOW - 5, 9.0),  # published wins over the store
    ]
    renderer = MetricsRenderer()
    own = own_families()

    # the body is sent as it is rendered: UTF-8
    first = renderer.render(own, published, latest, intervals, NOW).decode()
    assert first == reference(own, published, latest, intervals)
    assert 'instance="stale-1"' not in first and 'instance="gone-1"' not in first
    assert 'node_load1{instance="stored-1"} 0.5' in first

    # b-1 polls again (a new Published, other values), c-1 leaves the inventory: only b-1
    # is printed anew, and c-1 is gone from the body and from the cache
    published["b-1"] = poll(NOW, readings[0])
    del intervals["c-1"]
    second = renderer.render(own, published, latest, intervals, NOW).decode()
    assert second == reference(own, published, latest, intervals)
    assert 'instance="c-1"' not in second

    # nothing polled: the body comes from the cache alone and has not changed
    assert renderer.render(own, published, latest, intervals, NOW).decode() == second


def test_an_unchanged_host_is_not_printed_again() -> None:
    readings = capture_readings()
    published = {"a-1": poll(NOW, readings[0])}
    intervals = {"a-1": INTERVAL}
    renderer = MetricsRenderer()
    renderer.render([], published, [], intervals, NOW)
    cached = renderer._hosts["a-1"].packed
    renderer.render([], published, [], intervals, NOW)
    assert renderer._hosts["a-1"].packed is cached
    published["a-1"] = poll(NOW, readings[0])  # a new poll, even with equal readings
    renderer.render([], published, [], intervals, NOW)
    assert renderer._hosts["a-1"].packed is not cached


def test_hosts_printed_by_poller_workers_render_as_if_published_here() -> None:
    """`sshmon run --workers`: a worker prints its hosts' families and sends them as JSON
    (sshmon/worker.py, sshmon/workers.py); the body is the one-process body, byte for byte."""
    import json

    from sshmon.worker import _export_parts
    from sshmon.workers import _export_body

    readings = capture_readings()
    hosts = ["a-1", "b-1", 'evil"\\\n', "stale-1"]
    times = {"a-1": NOW, "b-1": NOW, 'evil"\\\n': NOW, "stale-1": NOW - 2 * INTERVAL - 1}
    published = {
        h: Published(ts, readings[i % 2], i + 1) for i, (h, ts) in enumerate(times.items())
    }
    intervals = dict.fromkeys([*hosts, "stored-1"], INTERVAL)
    latest = [
        LatestRow("stored-1", "load1", "", NOW - 5, 0.5),
        LatestRow("a-1", "load1", "", NOW - 5, 9.0),  # the worker's readings win
    ]
    parts = _export_parts([(h, p.readings) for h, p in published.items()])
    reply = {"times": times, "printed": parts, "dropped": 3}
    got_times, packed, dropped = _export_body(json.dumps(reply).encode())
    assert dropped == 3
    # the owner keeps them packed as they came (WorkerPool._apply_export)
    remote = {h: (got_times[h], packed[h]) for h in hosts}
    own = own_families()
    text = MetricsRenderer().render(own, {}, latest, intervals, NOW, remote).decode()
    assert text == reference(own, published, latest, intervals)
    assert 'instance="stale-1"' not in text and 'node_load1{instance="stored-1"} 0.5' in text


def test_own_families_printed_when_rendered_give_the_same_body() -> None:
    """What `sshmon run` hands the route (issue 15): sshmon's per-host families printed
    from the health counters while rendering, not built as samples first."""
    health = PollHealth()
    health.observe(PollStatus("web-1", NOW, HostState.OK, "", 0.02))
    health.observe(PollStatus("db-1", NOW, HostState.TIMEOUT, "timed out", 10.0))
    stats = WriterStats(1, 2, 3, None, 4, 0, 0, 0, 0, 0)
    published = {"web-1": poll(NOW, capture_readings()[0])}
    intervals = {"web-1": INTERVAL, "db-1": INTERVAL}
    own = [*health.collect_printed(), *writer_families(stats)]
    body = MetricsRenderer().render(own, published, [], intervals, NOW).decode()
    assert body == reference([*health.collect(), *writer_families(stats)], published, [], intervals)
    assert 'sshmon_host_state{host="db-1",state="timeout"} 1.0' in body


def test_a_worker_reply_that_does_not_add_up_is_refused() -> None:
    """The owner checks each packed host before keeping it (WorkerPool._apply_export logs
    and keeps the previous reply): line ends past the text, a cut text, a missing layout."""
    import base64
    import json
    import zlib

    import pytest

    from sshmon.worker import _export_parts
    from sshmon.workers import _export_body

    parts = _export_parts([("a-1", capture_readings()[0]), ("b-1", {})])

    def body(change: object) -> bytes:
        hosts = dict(parts["hosts"])  # type: ignore[call-overload]
        hosts["a-1"] = change
        reply = {"times": {}, "printed": {**parts, "hosts": hosts}, "dropped": 0}
        return json.dumps(reply).encode()

    layout, text, ends = parts["hosts"]["a-1"]  # type: ignore[index]
    _, good, _ = _export_body(body([layout, text, ends]))
    assert good["b-1"].ends.tolist() == [] and good["a-1"].text == base64.b64decode(text)
    cut = base64.b64encode(base64.b64decode(text)[:-9]).decode()
    short = base64.b64encode(base64.b64decode(ends)[:-4]).decode()
    for bad, error in [
        ([layout, cut, ends], ValueError),
        ([layout, text, short], ValueError),
        ([7, text, ends], ValueError),
        ([layout, "not base64!", ends], ValueError),
        ([layout, base64.b64encode(b"junk").decode(), ends], zlib.error),
    ]:
        with pytest.raises(error):
            _export_body(body(bad))
