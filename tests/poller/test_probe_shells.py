"""The probe is POSIX sh: busybox (with busybox's own tail, df, grep…) reads what dash reads."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path

import pytest

from parsers.frame import Section
from poller import probe
from poller.collectors.registry import parse_all
from poller.inventory import Host
from poller.transport import LocalLink

BUSYBOX = shutil.which("busybox")
APPLETS = ("sh", "tail", "head", "df", "grep", "cat", "uname", "timeout", "printf")
# Sections whose text does not change between two polls a moment apart.
STABLE = ("os_release", "uname", "cpuinfo", "mounts")


async def _poll(argv: tuple[str, ...]) -> dict[str, str]:
    link = LocalLink(Host(name="shell", address="localhost", transport="local"), shell=argv)
    nonce = probe.new_nonce()
    try:
        raw = await link.poll(nonce, slow=True)
    finally:
        await link.close()
    frames = probe.split_output(raw.output.decode(), nonce)
    assert frames.complete
    return {name: section.text for name, section in frames.sections.items()}


@pytest.fixture
def busybox_only(tmp_path: Path) -> tuple[str, ...]:
    if BUSYBOX is None:
        pytest.skip("busybox not installed (apt-get install busybox)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for applet in APPLETS:
        (bin_dir / applet).symlink_to(BUSYBOX)
    # PATH holds busybox applets only: no GNU tool can stand in unnoticed
    return ("env", "-i", f"PATH={bin_dir}", BUSYBOX, "sh")


async def test_busybox_gives_the_same_sections_as_dash(busybox_only: tuple[str, ...]) -> None:
    dash = await _poll(("dash",))
    busy = await _poll(busybox_only)
    assert set(busy) == set(dash) == set(probe.ALL_SECTIONS) - _absent_here()
    for name in STABLE:
        assert busy[name] == dash[name], name
    parsed = parse_all(split_sections(busy))
    assert parsed.failures == {}
    assert {"stat", "meminfo", "df", "df_inodes", "cpuinfo"} <= set(parsed.readings)


def split_sections(texts: dict[str, str]) -> dict[str, Section]:
    return {name: Section(name, text, 0) for name, text in texts.items()}


def _absent_here() -> set[str]:
    """Sections whose source this machine lacks (PSI needs Linux 4.20 and CONFIG_PSI; no
    md driver, hwmon chip, thermal zone or bond in a VM)."""
    globbed = {**probe.FAST_GLOBS, **probe.SLOW_GLOBS}
    return {name for name, path in probe.FAST_FILES.items() if not Path(path).exists()} | {
        name for name, globs in globbed.items() if not any(glob.glob(g) for g in globs)
    }
