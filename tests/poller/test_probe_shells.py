"""The probe is POSIX sh: busybox (with busybox's own tail, df, grep…) reads what dash reads."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import pytest

from parsers.cmd_tcp_states import TcpStates
from parsers.cmd_timex import Timex
from parsers.frame import Section
from poller import probe
from poller.collectors.registry import parse_all
from poller.inventory import Host
from poller.transport import LocalLink

BUSYBOX = shutil.which("busybox")
# as on Alpine: awk and busybox itself are there too, ss (iproute2) and systemd are not
APPLETS = (
    "sh",
    "tail",
    "head",
    "df",
    "grep",
    "cat",
    "uname",
    "timeout",
    "printf",
    "awk",
    "busybox",
)
# Sections whose text does not change between two polls a moment apart.
STABLE = ("os_release", "uname", "cpuinfo", "mounts")


async def _poll(argv: tuple[str, ...]) -> dict[str, Section]:
    link = LocalLink(Host(name="shell", address="localhost", transport="local"), shell=argv)
    nonce = probe.new_nonce()
    try:
        raw = await link.poll(nonce, slow=True)
    finally:
        await link.close()
    frames = probe.split_output(raw.output.decode(), nonce)
    assert frames.complete
    return dict(frames.sections)


def _busybox_shell(bin_dir: Path, applets: tuple[str, ...]) -> tuple[str, ...]:
    if BUSYBOX is None:
        pytest.skip("busybox not installed (apt-get install busybox)")
    bin_dir.mkdir()
    for applet in applets:
        (bin_dir / applet).symlink_to(BUSYBOX)
    # PATH holds busybox applets only: no GNU tool can stand in unnoticed
    return ("env", "-i", f"PATH={bin_dir}", BUSYBOX, "sh")


@pytest.fixture
def busybox_only(tmp_path: Path) -> tuple[str, ...]:
    return _busybox_shell(tmp_path / "bin", APPLETS)


async def test_without_awk_ss_clock_tools_or_systemd_those_sections_are_unavailable(
    tmp_path: Path,
) -> None:
    bare = tuple(a for a in APPLETS if a not in ("awk", "busybox"))
    sections = await _poll(_busybox_shell(tmp_path / "bin", bare))
    parsed = parse_all(sections)
    for name in ("tcp_states", "timex", "systemd_failed"):
        # framed, empty and failed: no reading, no failure, so no point and never a 0
        assert sections[name].text.strip() == "" and sections[name].rc != 0, name
        assert name not in parsed.readings and name not in parsed.failures, name
    assert "meminfo" in parsed.readings


async def test_busybox_gives_the_same_sections_as_dash(busybox_only: tuple[str, ...]) -> None:
    dash = await _poll(("dash",))
    busy = await _poll(busybox_only)
    assert set(busy) == set(dash) == set(probe.ALL_SECTIONS) - _absent_here()
    for name in STABLE:
        assert busy[name].text == dash[name].text, name
    # with each section's own status: what a busybox-only PATH lacks (systemctl) fails and
    # is unavailable, not an empty reading
    parsed = parse_all(busy)
    assert parsed.failures == {}
    assert {"stat", "meminfo", "df", "df_inodes", "cpuinfo", "net_udp"} <= set(parsed.readings)
    # busybox has no getconf applet: no page size, so unavailable (sh says 127), not 0
    assert busy["pagesize"].rc == 127 and "pagesize" not in parsed.readings
    assert "pagesize" in parse_all(dash).readings
    assert "systemd_failed" not in parsed.readings
    # no ss: TCP states come from busybox awk over /proc/net/tcp{,6}, and count the same
    # sockets as ss does under dash (give or take the connections of a moment)
    by_proc, by_ss = (parse_all(s).readings["tcp_states"] for s in (busy, dash))
    assert isinstance(by_proc, TcpStates) and isinstance(by_ss, TcpStates)
    assert by_proc.counts["listen"] >= 1
    assert abs(by_proc.counts["listen"] - by_ss.counts["listen"]) <= 2
    # busybox adjtimex reads the kernel's clock state without privileges
    assert isinstance(parsed.readings["timex"], Timex)


def _absent_here() -> set[str]:
    """Sections whose source this machine lacks (PSI needs Linux 4.20 and CONFIG_PSI; no
    md driver, hwmon chip, thermal zone or bond in a VM)."""
    globbed = {**probe.FAST_GLOBS, **probe.SLOW_GLOBS}
    return {name for name, path in probe.FAST_FILES.items() if not Path(path).exists()} | {
        name for name, globs in globbed.items() if not any(glob.glob(g) for g in globs)
    }
