"""cgroup v2 files of services and containers (parsers/sys_fs_cgroup.py).

The fixture tree tests/fixtures/cgroup/hybrid is a real capture (see tests/fixtures/README.md);
the pure-v2 cases with memory.current and io.stat use the formats of the kernel's
Documentation/admin-guide/cgroup-v2.rst, since this machine's cgroup2 tree has no memory or
io controller to capture.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.errors import ParseError
from parsers.sys_fs_cgroup import MAX_CGROUPS, MAX_NAME, Cgroups, CgroupStats, parse, parse_files

TREE = Path(__file__).parents[1] / "fixtures" / "cgroup" / "hybrid"
DOCKER = "7e5e32073c1a77906c23e538c33dc06a13c9613b52a81c2eb50d79c755065c6a"
PODMAN = "82659137dd9d83aa4428ab07f86d60a7f7970c95dad5152eed9b6924394fe60d"
V2 = "/sys/fs/cgroup"


def tree_files(root: Path = TREE) -> list[tuple[str, str]]:
    """(target path, text) of every file in a fixture tree, as the probe's tail lists them."""
    return [
        ("/" + str(p.relative_to(root)), p.read_text())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    ]


def test_real_hybrid_tree() -> None:
    got = parse_files(tree_files())
    assert got.uptime_seconds == 9959.84
    assert got.skipped == 0
    assert got.groups == {
        "docker:7e5e32073c1a": CgroupStats(
            "container", f"/system.slice/docker-{DOCKER}.scope", 0.080183
        ),
        "podman:82659137dd9d": CgroupStats(
            "container", f"/machine.slice/libpod-{PODMAN}.scope", 0.037550
        ),
        "run-u4242.scope": CgroupStats("service", "/system.slice/run-u4242.scope", 0.032872),
        "sshmon-capture.service": CgroupStats(
            "service", "/system.slice/sshmon-capture.service", 0.330782
        ),
    }


def test_hybrid_has_no_memory_or_io_which_is_unavailable_not_zero() -> None:
    stats = parse_files(tree_files()).groups["sshmon-capture.service"]
    assert stats.memory_bytes is None
    assert stats.io_read_bytes_total is None
    assert stats.io_write_bytes_total is None


def test_pure_v2_memory_and_io_summed_over_devices() -> None:
    unit = f"{V2}/system.slice/nginx.service"
    got = parse_files(
        [
            (f"{unit}/cpu.stat", "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"),
            (f"{unit}/memory.current", "52428800\n"),
            (
                f"{unit}/io.stat",
                "8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
                "8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 "
                "dios=3021\n",
            ),
        ]
    )
    assert got.groups == {
        "nginx.service": CgroupStats(
            "service",
            "/system.slice/nginx.service",
            2.5,
            52428800,
            1459200 + 90430464,
            314773504 + 299008000,
        )
    }


def test_empty_io_stat_is_no_io_yet() -> None:
    # the kernel lists only devices the cgroup did IO on
    got = parse_files([(f"{V2}/system.slice/a.service/io.stat", "")])
    assert got.groups["a.service"].io_read_bytes_total == 0


@pytest.mark.parametrize(
    ("rel", "name", "kind"),
    [
        (f"system.slice/docker-{DOCKER}.scope", "docker:7e5e32073c1a", "container"),
        (f"docker/{DOCKER}", "docker:7e5e32073c1a", "container"),
        (f"machine.slice/libpod-{PODMAN}.scope", "podman:82659137dd9d", "container"),
        (
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
            f"cri-containerd-{DOCKER}.scope",
            "containerd:7e5e32073c1a",
            "container",
        ),
        (f"kubepods/burstable/pod1234-5678/{DOCKER}", "kubepods:7e5e32073c1a", "container"),
        (
            f"kubepods.slice/kubepods-pod1.slice/crio-{DOCKER}.scope",
            "crio:7e5e32073c1a",
            "container",
        ),
        ("system.slice/run-u7.scope", "run-u7.scope", "service"),
        ("system.slice/ssh.service", "ssh.service", "service"),
    ],
    ids=[
        "docker-systemd",
        "docker-cgroupfs",
        "podman",
        "k8s-containerd",
        "k8s-cgroupfs",
        "crio",
        "systemd-run-scope",
        "service",
    ],
)
def test_names_by_layout(rel: str, name: str, kind: str) -> None:
    got = parse_files([(f"{V2}/{rel}/cpu.stat", "usage_usec 1\n")])
    assert list(got.groups) == [name]
    assert got.groups[name].kind == kind
    assert got.groups[name].path == f"/{rel}"


@pytest.mark.parametrize(
    "rel",
    [
        f"machine.slice/libpod-conmon-{PODMAN}.scope",  # podman's monitor, not the container
        "kubepods/burstable/pod1234",  # a pod, not a container
        f"docker/{DOCKER[:12]}",  # not a container id
        "system.slice/something.slice",
    ],
    ids=["conmon", "pod", "short-id", "slice"],
)
def test_not_a_service_or_container_is_left_out(rel: str) -> None:
    assert parse_files([(f"{V2}/{rel}/cpu.stat", "usage_usec 1\n")]).groups == {}


def test_ids_sharing_twelve_digits_stay_apart() -> None:
    a, b = "abcdef012345" + "0" * 52, "abcdef012345" + "1" * 52
    got = parse_files(
        [
            (f"{V2}/system.slice/docker-{a}.scope/cpu.stat", "usage_usec 1\n"),
            (f"{V2}/system.slice/docker-{b}.scope/cpu.stat", "usage_usec 2\n"),
            (f"{V2}/system.slice/docker-{'f' * 64}.scope/cpu.stat", "usage_usec 3\n"),
        ]
    )
    assert list(got.groups) == [f"docker:{a}", f"docker:{b}", "docker:ffffffffffff"]


def test_files_of_one_cgroup_are_merged_whatever_their_order() -> None:
    unit = f"{V2}/system.slice/a.service"
    got = parse_files(
        [
            (f"{unit}/cpu.stat", "usage_usec 3000000\n"),
            (f"{V2}/system.slice/b.service/cpu.stat", "usage_usec 1\n"),
            (f"{unit}/memory.current", "4096\n"),
        ]
    )
    assert got.groups["a.service"] == CgroupStats("service", "/system.slice/a.service", 3.0, 4096)


def test_control_characters_escaped_and_long_names_cut_apart() -> None:
    long_a, long_b = "x" * 200 + "a.service", "x" * 200 + "b.service"
    got = parse_files(
        [
            (f"{V2}/system.slice/evil\x1b[5m.service/cpu.stat", "usage_usec 1\n"),
            (f"{V2}/system.slice/{long_a}/cpu.stat", "usage_usec 1\n"),
            (f"{V2}/system.slice/{long_b}/cpu.stat", "usage_usec 1\n"),
        ]
    )
    names = list(got.groups)
    assert names[0] == "evil\\x1b[5m.service"
    assert got.groups[names[0]].path == "/system.slice/evil\\x1b[5m.service"
    assert all(len(n) <= MAX_NAME for n in names)
    assert len(set(names)) == 3


def test_more_cgroups_than_the_parse_cap_are_counted_not_kept() -> None:
    files = [
        (f"{V2}/system.slice/u{i}.service/cpu.stat", "usage_usec 1\n")
        for i in range(MAX_CGROUPS + 5)
    ]
    got = parse_files(files)
    assert len(got.groups) == MAX_CGROUPS
    assert got.skipped == 5


def test_cpu_stat_without_usage_is_unavailable() -> None:
    got = parse_files([(f"{V2}/system.slice/a.service/cpu.stat", "nr_periods 0\n")])
    assert got.groups["a.service"].cpu_seconds_total is None


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/etc/passwd", "root:x:0:0\n"),
        (f"{V2}/system.slice/a.service/cgroup.procs", "1\n"),
        (f"{V2}/system.slice/a.service/cpu.stat", "usage_usec lots\n"),
        (f"{V2}/system.slice/a.service/cpu.stat", f"usage_usec {2**64}\n"),
        (f"{V2}/system.slice/a.service/memory.current", "max\n"),
        (f"{V2}/system.slice/a.service/io.stat", "rbytes=1\n"),
        (f"{V2}/system.slice/a.service/io.stat", "8:0 rbytes\n"),
        ("/proc/uptime", "soon\n"),
    ],
    ids=[
        "outside-roots",
        "unknown-file",
        "not-a-number",
        "too-big",
        "memory-max",
        "no-device",
        "no-value",
        "bad-uptime",
    ],
)
def test_malformed_is_a_parse_error(path: str, body: str) -> None:
    with pytest.raises(ParseError):
        parse_files([(path, body)])


_PATHS = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["/sys/fs/cgroup/", "/sys/fs/cgroup/unified/", "/proc/", ""]),
        st.text(max_size=80),
        st.sampled_from(["/cpu.stat", "/memory.current", "/io.stat", "uptime", ""]),
    ),
)


@given(st.lists(st.tuples(_PATHS, st.text(max_size=200)), max_size=5))
def test_any_input_gives_a_reading_or_parse_error(files: list[tuple[str, str]]) -> None:
    with contextlib.suppress(ParseError):
        assert isinstance(parse_files(files), Cgroups)


def test_only_the_uptime_is_no_reading() -> None:
    assert parse("==> /proc/uptime <==\n1.00 2.00\n") is None
    assert parse("") is None
