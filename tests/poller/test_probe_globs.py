"""Glob sources in the probe (poller/probe.py): fixed globs the target's shell expands,
read every poll after the /proc files or as a slow section of their own, framed so that
`parsers.frame` gives every glob section the same text: live, from a capture, from a tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fake_servers import isolated_settings
from sshd import Sshd

from parsers import frame
from parsers.frame import tail_files
from poller import probe
from poller.collectors.base import Collector, Source
from poller.collectors.registry import COLLECTORS
from poller.replay import sections_from_root
from poller.ssh import Connector

NONCE = "0123456789abcdef"


def _globbed(root: Path) -> tuple[Collector, ...]:
    """The real collectors, plus one reading `root`'s tree by fast globs (one source of two
    globs) and one by a slow glob: test trees stand in for /sys."""
    fast = Source("t_fast", str, globs=(f"{root}/net/*/mtu", f"{root}/net/*/speed"))
    slow = Source("t_slow", str, globs=(f"{root}/hwmon/hwmon*/temp*_input",), slow=True)
    return (*COLLECTORS, Collector("t", "test globs", (fast, slow)))


def _tree(root: Path) -> None:
    for dev, mtu in (("lo", "65536"), ("eth0", "1500")):
        (root / "net" / dev).mkdir(parents=True)
        (root / "net" / dev / "mtu").write_text(mtu + "\n")
    (root / "net" / "eth0" / "speed").write_text("1000\n")
    (root / "hwmon" / "hwmon0").mkdir(parents=True)
    (root / "hwmon" / "hwmon0" / "temp1_input").write_text("42500\n")
    (root / "hwmon" / "hwmon0" / "temp2_input").write_text("51000\n")


def _split(output: str, plan: probe.Plan) -> dict[str, str]:
    paths = {p: n for n, p in plan.fast_files.items()}
    frames = frame.split(output, NONCE, paths, globs=probe.glob_order(plan), reads=plan.reads)
    assert frames.complete
    return {k: v.text for k, v in frames.sections.items()}


def test_a_source_sets_exactly_one_of_path_command_globs() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Source("x", str, path="/proc/x", globs=("/sys/*/x",))
    with pytest.raises(ValueError, match="exactly one"):
        Source("x", str)


@pytest.mark.parametrize(
    "glob",
    ["sys/*/x", "/sys/*/x y", "/sys/$(id)/*", "/sys/*/x;reboot", "/sys/../*", "/sys//*", "/x?/*"],
)
def test_a_glob_holds_nothing_the_shell_would_take_as_more_than_a_path(glob: str) -> None:
    with pytest.raises(ValueError, match="not a probe glob"):
        Source("x", str, globs=(glob,))


def test_fast_globs_follow_the_proc_files_and_slow_globs_join_the_slow_files(
    tmp_path: Path,
) -> None:
    plan = probe.plan(_globbed(tmp_path))
    text = probe.definitions(10, plan)
    fast = next(line for line in text.split("\n") if line.startswith(probe.FAST_FUNCTION))
    # the head (when the session has no kept awk) and the kept awk's request list the same
    # paths in the same order
    read_at = fast.index("head -n 2147483647 /proc/stat")
    globs_at = fast.index(f"{tmp_path}", read_at)
    assert read_at < fast.index("/dev/null /", read_at) < globs_at and "tail" not in fast
    request_at = fast.index("printf '%s\\n' /proc/stat")
    request = fast[request_at + len("printf '%s\\n' ") : fast.index(" '' >&3", request_at)]
    head = fast[read_at + len("head -n 2147483647 ") : fast.index(" 2>/dev/null", read_at)]
    assert request == head
    assert f"{tmp_path}/net/*/mtu {tmp_path}/net/*/speed /dev/null" in fast
    assert f"'{tmp_path}/net/*/mtu'" not in fast  # unquoted: the shell expands it
    # one `head` for the slow files, then /dev/null, then the slow globs (cgroups' first)
    slow = next(line for line in text.split("\n") if line.startswith(probe.SLOW_FUNCTION))
    read = "/proc/mounts /proc/net/snmp6 /proc/sys/net/netfilter/nf_conntrack_max"
    held = "/proc/sys/kernel/random/poolsize"  # held between slow rounds (Source.held)
    assert f'begin slow_read"; head -n 2147483647 {read} {held} /dev/null ' in slow
    assert f" {tmp_path}/hwmon/hwmon*/temp*_input /dev/null 2>/dev/null; " in slow
    assert "cat /proc/mounts" not in slow and "t_slow" not in slow
    assert ("t_slow", f"{tmp_path}/hwmon/hwmon*/temp*_input") in plan.slow_reads["slow_read"].globs


def test_without_globs_the_fast_read_is_one_tail() -> None:
    plan = probe.plan(tuple(c for c in COLLECTORS if not any(s.globs for s in c.sources)))
    text = probe.definitions(10, plan)
    fast = next(line for line in text.split("\n") if "_sm_fast()" in line)
    assert fast.count("tail -n +1") == 1 and "head" not in fast


@pytest.mark.parametrize("shell", [("dash",), ("busybox", "sh")])
def test_a_real_shell_expands_the_globs_and_sections_come_back(
    tmp_path: Path, shell: tuple[str, ...]
) -> None:
    _tree(tmp_path)
    plan = probe.plan(_globbed(tmp_path))
    script = probe.script(NONCE, slow=True, plan=plan)
    out = subprocess.run(shell, input=script, capture_output=True, text=True, check=True)
    got = _split(out.stdout, plan)
    assert tail_files(got["t_fast"]) == [
        (f"{tmp_path}/net/eth0/mtu", "1500\n"),
        (f"{tmp_path}/net/lo/mtu", "65536\n"),
        (f"{tmp_path}/net/eth0/speed", "1000\n"),
    ]
    assert tail_files(got["t_slow"]) == [
        (f"{tmp_path}/hwmon/hwmon0/temp1_input", "42500\n"),
        (f"{tmp_path}/hwmon/hwmon0/temp2_input", "51000\n"),
    ]
    assert got["meminfo"].startswith("MemTotal:")


def test_a_glob_matching_nothing_costs_only_its_own_section(tmp_path: Path) -> None:
    (tmp_path / "net" / "lo").mkdir(parents=True)
    (tmp_path / "net" / "lo" / "mtu").write_text("65536\n")
    plan = probe.plan(_globbed(tmp_path))
    out = subprocess.run(
        ["dash"],
        input=probe.script(NONCE, slow=True, plan=plan),
        capture_output=True,
        text=True,
        check=True,
    )
    got = _split(out.stdout, plan)
    assert "t_slow" not in got and tail_files(got["t_fast"]) == [
        (f"{tmp_path}/net/lo/mtu", "65536\n")
    ]
    assert got["loadavg"]


def test_an_unreadable_sysfs_file_does_not_end_the_read() -> None:
    """lo's `speed` fails with EINVAL on every Linux; the files after it still come."""
    speed = Source("t", str, globs=("/sys/class/net/lo/spee*", "/sys/class/net/lo/mt*"))
    plan = probe.plan((*COLLECTORS, Collector("t", "t", (speed,))))
    out = subprocess.run(
        ["dash"],
        input=probe.script(NONCE, slow=False, plan=plan),
        capture_output=True,
        text=True,
        check=True,
    )
    assert tail_files(_split(out.stdout, plan)["t"]) == [
        ("/sys/class/net/lo/speed", ""),
        ("/sys/class/net/lo/mtu", "65536\n"),
    ]


def test_replay_root_globs_under_the_root_like_the_probe(tmp_path: Path) -> None:
    target = tmp_path / "target"
    _tree(target)
    plan = probe.plan(_globbed(Path("/t")))
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "t").symlink_to(target)
    got = sections_from_root(tmp_path / "root", plan)
    assert tail_files(got["t_fast"].text) == [
        ("/t/net/eth0/mtu", "1500\n"),
        ("/t/net/lo/mtu", "65536\n"),
        ("/t/net/eth0/speed", "1000\n"),
    ]
    assert tail_files(got["t_slow"].text)[0] == ("/t/hwmon/hwmon0/temp1_input", "42500\n")
    # and the same text as a live run of the probe on the same tree
    live = probe.plan(_globbed(target))
    out = subprocess.run(
        ["dash"],
        input=probe.script(NONCE, slow=True, plan=live),
        capture_output=True,
        text=True,
        check=True,
    )
    assert _split(out.stdout, live)["t_fast"] == got["t_fast"].text.replace("/t/", f"{target}/")


async def test_glob_sections_come_through_a_real_sshd(sshd: Sshd, tmp_path: Path) -> None:
    _tree(tmp_path)
    plan = probe.plan(_globbed(tmp_path))
    known = sshd.trust_into(tmp_path / "known_hosts")
    conn = await Connector(isolated_settings(known)).connect(sshd.host())
    try:
        result = await conn.run("sh", input=probe.script(NONCE, slow=True, plan=plan))
    finally:
        conn.close()
    assert isinstance(result.stdout, str)
    got = _split(result.stdout, plan)
    assert [p for p, _ in tail_files(got["t_fast"])] == [
        f"{tmp_path}/net/eth0/mtu",
        f"{tmp_path}/net/lo/mtu",
        f"{tmp_path}/net/eth0/speed",
    ]
    assert tail_files(got["t_slow"])[1] == (f"{tmp_path}/hwmon/hwmon0/temp2_input", "51000\n")


def test_user_prom_files_come_after_the_globs_and_keep_their_sections(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "a.prom").write_text("x 1\n==> /proc/loadavg <==\n")
    plan = probe.plan(_globbed(tmp_path), textfile_dir=str(tmp_path / "tf"))
    out = subprocess.run(
        ["dash"],
        input=probe.script(NONCE, slow=False, plan=plan),
        capture_output=True,
        text=True,
        check=True,
    )
    frames = frame.split(
        out.stdout,
        NONCE,
        {p: n for n, p in plan.fast_files.items()},
        plan.textfile_dir,
        globs=probe.glob_order(plan),
    )
    got = {k: v.text for k, v in frames.sections.items()}
    assert got["textfile:a.prom"] == "x 1\n"  # the /proc header ends it, as it always did
    assert len(got["loadavg"].split()) == 5  # the real /proc file, not the .prom's
    assert len(tail_files(got["t_fast"])) == 3
