from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from peer_fixtures import CAPTURES, FIXTURES, PROC, capture_sections

from parsers import cmd_df, proc_mounts
from parsers.exposition import Sample, render_json, render_prometheus
from parsers.frame import Section
from poller.collectors.registry import parse_all, samples
from poller.replay import sections_from_root

GOLDEN = FIXTURES / "exposition"
_SAMPLE_LINE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^\\"\n])*",?)*\})? '
    r"(\S+)$"
)


def _tree_samples() -> list[Sample]:
    return samples(parse_all(sections_from_root(FIXTURES / "procfs")).readings)


def _capture_samples() -> list[Sample]:
    return samples(parse_all(capture_sections()).readings)


@pytest.mark.parametrize(
    ("golden", "make"),
    [("procfs-tree.prom", _tree_samples), ("probe-debian12-linux6.18.1.prom", _capture_samples)],
)
def test_golden_output(golden: str, make: object) -> None:
    """Every change to exported names, labels or values shows up in review as a diff."""
    text = render_prometheus(make())  # type: ignore[operator]
    path = GOLDEN / golden
    if os.environ.get("SSHMON_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()


def _check_exposition(text: str) -> dict[str, str]:
    """Minimal text-format 0.0.4 checker: families contiguous, HELP/TYPE once, valid lines."""
    types: dict[str, str] = {}
    series: set[str] = set()
    current = None
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            current = line.split()[2]
            assert current not in types, f"family {current} split or repeated"
        elif line.startswith("# TYPE "):
            _, _, name, typ = line.split()
            assert name == current and typ in ("counter", "gauge", "untyped")
            types[name] = typ
        else:
            match = _SAMPLE_LINE.match(line)
            assert match, f"invalid sample line {line!r}"
            assert match.group(1) == current
            float(match.group(5).replace("Inf", "inf"))
            head = line.rsplit(" ", 1)[0]
            assert head not in series, f"duplicate series {head}"
            series.add(head)
    return types


def test_outputs_are_valid_text_format() -> None:
    for make in (_tree_samples, _capture_samples):
        types = _check_exposition(render_prometheus(make(), (("instance", "web-1"),)))
        assert types["node_cpu_seconds_total"] == "counter"


def test_node_exporter_semantics_on_the_procfs_tree() -> None:
    by = {(s.name, s.labels): s.value for s in _tree_samples()}
    assert by["node_cpu_seconds_total", (("cpu", "0"), ("mode", "user"))] == 444.9
    assert ("node_cpu_seconds_total", (("cpu", "total"), ("mode", "user"))) not in by
    assert by["node_memory_MemTotal_bytes", ()] == 15666184 * 1024
    assert by["node_memory_Active_anon_bytes", ()] == 267256 * 1024
    assert by["node_memory_HugePages_Total", ()] == 0  # a count: no _bytes
    assert ("node_memory_MemAvailable_bytes", ()) not in by  # absent, not 0
    assert by["node_load1", ()] == 0.02
    assert by["node_disk_discarded_sectors_total", (("device", "sdb"),)] == 1925173784
    assert by["node_disk_read_bytes_total", (("device", "sda"),)] == 1003346126 * 512
    devices = {dict(labels)["device"] for name, labels in by if name.startswith("node_disk_")}
    assert "sda" in devices and "sda1" not in devices and "ram0" not in devices
    assert ("node_pressure_cpu_stalled_seconds_total", ()) not in by  # no full line
    assert by["node_pressure_io_stalled_seconds_total", ()] == 25e-6
    assert by["node_network_receive_bytes_total", (("device", "lo"),)] == 1664039048
    assert by["node_sockstat_TCP_tw", ()] == 4


def test_filesystems_join_fstype_and_apply_node_exporter_defaults() -> None:
    by = {(s.name, s.labels): s.value for s in _capture_samples()}
    root = (("device", "/dev/vda"), ("fstype", "ext4"), ("mountpoint", "/"))
    assert by["node_filesystem_size_bytes", root] >= by["node_filesystem_avail_bytes", root]
    assert by["node_filesystem_files", root] > by["node_filesystem_files_free", root]
    mountpoints = {dict(labels).get("mountpoint") for name, labels in by}
    assert "/dev/shm" not in mountpoints and "/sys/fs/cgroup" not in mountpoints


def test_hostile_label_values_are_escaped() -> None:
    # a mount point holding a quote, a backslash and a newline (\012 in /proc/mounts)
    mounts = proc_mounts.parse('/dev/sda1 /x"y\\134z\\012w ext4 ro 0 0\n')
    hostile = mounts.mounts[0].mountpoint
    assert hostile == '/x"y\\z\nw'
    df = cmd_df.Df("bytes", (cmd_df.DfRow("/dev/sda1", hostile, 10240, 5120, 5120),))
    text = render_prometheus(samples({"mounts": mounts, "df": df}))
    assert 'mountpoint="/x\\"y\\\\z\\nw"' in text
    readonly = [s for s in samples({"mounts": mounts, "df": df}) if s.name.endswith("readonly")]
    assert [s.value for s in readonly] == [1]  # mounted ro
    _check_exposition(text)


def test_names_from_target_text_that_are_not_metric_names_are_dropped() -> None:
    parsed = parse_all({"meminfo": Section("meminfo", 'Evil{x="1"}: 1 kB\nMemTotal: 2 kB\n')})
    names = [s.name for s in samples(parsed.readings)]
    assert names == ["node_memory_MemTotal_bytes"]


def test_extra_labels_override() -> None:
    sample = Sample("node_x", (("instance", "old"), ("a", "1")), 1, "gauge", "h")
    text = render_prometheus([sample], (("instance", "web-1"),))
    assert 'node_x{a="1",instance="web-1"} 1.0' in text  # prometheus_client sorts labels
    with pytest.raises(ValueError, match="label name"):
        render_prometheus([sample], (("bad-name", "x"),))


def test_help_is_escaped_and_written_once_per_family() -> None:
    a = Sample("node_y_total", (("d", "1"),), 1, "counter", "line\\one\ntwo")
    b = Sample("node_y_total", (("d", "2"),), 2, "counter", "ignored")
    text = render_prometheus([a, b])
    assert text.count("# HELP node_y_total line\\\\one\\ntwo\n") == 1
    assert text.count("# TYPE node_y_total counter") == 1


def test_a_counter_without_total_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="_total"):
        render_prometheus([Sample("node_y", (), 1, "counter", "h")])


def test_json_rendering_round_trips() -> None:
    data = json.loads(render_json(_tree_samples()))
    first = data[0]
    assert set(first) == {"name", "labels", "value", "type"}
    assert any(d["name"] == "node_load1" and d["value"] == 0.02 for d in data)


def test_captures_exist() -> None:
    assert len(CAPTURES) == 2 and Path(PROC).is_dir()


_NAMES = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(lambda s: not any(c.isspace() for c in s) and ":" not in s)


@settings(max_examples=200, deadline=None)
@given(iface=_NAMES, key=_NAMES, mountpoint=st.text(min_size=1, max_size=20), pretty=st.text())
def test_any_target_text_renders_valid_exposition(
    iface: str, key: str, mountpoint: str, pretty: str
) -> None:
    """Names and values from a target never break the text format or escape a label."""
    escaped = "".join({" ": "\\040", "\t": "\\011", "\n": "\\012", "\\": "\\134"}.get(c, c)
                      for c in mountpoint)  # fmt: skip
    found = {
        "net_dev": Section("net_dev", f"{iface}: {' '.join(['1'] * 16)}\n"),
        "meminfo": Section("meminfo", f"{key}: 5 kB\n"),
        "vmstat": Section("vmstat", f"pg{key}fault 1\n"),
        "mounts": Section("mounts", f"/dev/x /{escaped} ext4 rw 0 0\n"),
        "os_release": Section("os_release", f"PRETTY_NAME={json.dumps(pretty)}\n"),
    }
    readings = dict(parse_all(found).readings)
    mounts = readings.get("mounts")
    if isinstance(mounts, proc_mounts.Mounts):
        row = cmd_df.DfRow("/dev/x", mounts.mounts[0].mountpoint, 1024, 512, 512)
        readings["df"] = cmd_df.Df("bytes", (row,))
    _check_exposition(render_prometheus(samples(readings), (("instance", pretty),)))
