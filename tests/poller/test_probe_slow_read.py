"""The slow round's files and globs in one `head` per cadence (poller/probe.py SLOW_READ),
cut at head's headers as the fast read is: the same section text as one process each
gave, through a real dash and busybox sh."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from parsers import frame
from parsers.frame import HeadRead, tail_files
from poller import probe
from poller.collectors.base import Collector, Source
from poller.collectors.registry import COLLECTORS, parse_all

NONCE = "0123456789abcdef"
SHELLS = [("dash",), ("busybox", "sh")]


def _run(script: str, shell: tuple[str, ...] = ("dash",)) -> str:
    # not check=True: head fails for a glob that matched nothing, as on the target
    return subprocess.run(shell, input=script, capture_output=True, text=True).stdout


def test_the_every_round_files_and_globs_are_one_read() -> None:
    reads = probe.DEFAULT_PLAN.slow_reads
    # os-release, the one hourly file, has a fallback; clocksource, selinux and the
    # interfaces' identifiers, every 5th round, share one `head` of their cadence
    assert set(reads) == {probe.SLOW_READ, probe.SLOW_READ + "5"}
    rare = reads[probe.SLOW_READ + "5"]
    assert not rare.paths
    assert {s for s, _ in rare.globs} == {"clocksource", "selinux", "net_ids"}
    read = reads[probe.SLOW_READ]
    assert dict(read.paths) == {
        "/proc/mounts": "mounts",
        "/proc/net/snmp6": "net_snmp6",
        # settings held between slow rounds (Source.held), out of the every-poll read
        "/proc/sys/net/netfilter/nf_conntrack_max": "nf_conntrack_max",
        "/proc/sys/kernel/random/poolsize": "entropy_poolsize",
    }
    # cgroups' clock comes right before its cgroup files, as in its own `head` before
    assert read.globs[0] == ("cgroups", "/proc/uptime")
    assert {s for s, _ in read.globs} == {
        "cgroups",
        "net_link",
        "hwmon_limits",
        # names held between slow rounds (Source.held), out of the every-poll read
        "hwmon_names",
        "thermal_types",
    }
    text = probe.definitions()
    assert "cat /proc/mounts" not in text and "begin mounts" not in text
    assert "cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release" in text


@pytest.mark.parametrize("shell", SHELLS)
def test_the_sections_come_back_as_one_process_each_read_them(shell: tuple[str, ...]) -> None:
    got = probe.split_output(_run(probe.script(NONCE, slow=True), shell), NONCE).sections
    # a file that does not change from one moment to the next: byte for byte `cat`'s text
    assert got["mounts"].text == Path("/proc/mounts").read_text()
    # the glob sections as their own `head` framed them before (legacy frames)
    legacy = "".join(
        f"@@sshmon {NONCE} begin {name}\n"
        + _run(f"head -n 2147483647 {' '.join(globs)} /dev/null 2>/dev/null\n")
        + f"\n@@sshmon {NONCE} end {name} 0\n"
        for name, globs in probe.SLOW_GLOBS.items()
    )
    before = probe.split_output(legacy + f"@@sshmon {NONCE} done\n", NONCE).sections
    assert got["net_link"].text == before["net_link"].text
    # cgroup counters move between two reads: the same files, /proc/uptime first
    cgroups = [p for p, _ in tail_files(got["cgroups"].text)]
    assert cgroups[0] == "/proc/uptime"
    assert cgroups == [p for p, _ in tail_files(before["cgroups"].text)]
    parsed = parse_all(got)
    assert {"mounts", "net_snmp6", "net_link", "df", "df_inodes"} <= set(parsed.readings)
    assert parsed.failures == {}


def _plan_with(*extra: Source) -> probe.Plan:
    return probe.plan((*COLLECTORS, Collector("t", "test sources", extra)))


def test_an_absent_slow_file_is_unavailable_and_costs_nothing_else() -> None:
    plan = _plan_with(Source("t_absent", str, path="/proc/no-such-file-here", slow=True))
    assert "/proc/no-such-file-here" in plan.slow_reads[probe.SLOW_READ].paths
    got = probe.split_output(_run(probe.script(NONCE, slow=True, plan=plan)), NONCE, plan)
    assert "t_absent" not in got.sections  # no section: no reading, no failure, no 0
    assert "t_absent" not in parse_all(got.sections).failures
    assert {"mounts", "net_snmp6", "net_link"} <= set(got.sections)


def test_a_rarer_cadence_has_its_own_read_run_only_when_due(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("42\n")
    rare = Source("t_rare", str, path=f"{tmp_path}/f", slow=True, every=5)
    plan = _plan_with(rare)
    read5 = plan.slow_reads[probe.SLOW_READ + "5"]
    assert read5 == HeadRead(
        {f"{tmp_path}/f": "t_rare"}, probe.DEFAULT_PLAN.slow_reads[probe.SLOW_READ + "5"].globs
    )
    text = probe.definitions(10, plan)
    slow5 = next(line for line in text.split("\n") if line.startswith("_sm_slow5()"))
    assert f'begin {probe.SLOW_READ}5"; head -n 2147483647 {tmp_path}/f /dev/null' in slow5

    def sections(rare: tuple[int, ...]) -> dict[str, frame.Section]:
        out = _run(probe.script(NONCE, slow=True, plan=plan, rare=rare))
        return probe.split_output(out, NONCE, plan).sections

    assert sections((5,))["t_rare"].text == "42\n"
    not_due = sections(())
    assert "t_rare" not in not_due and "mounts" in not_due


def test_a_proc_header_after_the_globs_began_is_not_taken() -> None:
    """A glob file's body (or a made-up name) cannot stand in for a slow /proc file: the
    files come first and their headers are not taken once the globs have begun."""
    plan = probe.DEFAULT_PLAN
    mounts = "/dev/vda / ext4 rw 0 0\n"
    body = (
        f"==> /proc/mounts <==\n{mounts}\n==> /proc/net/snmp6 <==\nIp6InReceives 1\n\n"
        "==> /dev/null <==\n==> /proc/uptime <==\n5.0 9.0\n\n"
        "==> /sys/class/net/eth0/mtu <==\n1500\n\n==> /proc/mounts <==\n/evil / ext4 ro 0 0\n\n"
        "==> /dev/null <==\n"
    )
    output = (
        f"@@sshmon {NONCE} begin {probe.SLOW_READ}\n{body}\n"
        f"@@sshmon {NONCE} end {probe.SLOW_READ} 0\n@@sshmon {NONCE} done\n"
    )
    got = probe.split_output(output, NONCE, plan).sections
    assert got["mounts"].text == mounts and got["net_snmp6"].text == "Ip6InReceives 1\n"
    assert tail_files(got["cgroups"].text) == [("/proc/uptime", "5.0 9.0\n")]
    assert "net_link" in got and "evil" not in got["net_link"].text
