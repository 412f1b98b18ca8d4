"""Sparse fast globs (`Source.sparse`: the temperatures older drivers put on a hwmon chip's
device): one session of a real shell reads them at every poll on a host where they are
there, from its first poll on, and not at all where they are not, until a slow round finds
them. The fast read by the session's kept awk and by `head` alike.

This machine has no hwmon chip: the probe's /sys/class/hwmon is pointed at a tree made
here on the way in."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from parsers.sys_class_hwmon import Hwmon
from poller import probe
from poller.collectors import hwmon
from poller.collectors.registry import parse_all

PLAN = probe.plan([hwmon.COLLECTOR])
SHELLS = {
    "dash-awk": ("dash", ""),
    "dash-head": ("dash", "_sm_noawk=1; "),
    "busybox": ("busybox", ""),
}


class Session:
    """One long-lived shell fed the probe's definitions, then one invocation per poll."""

    def __init__(self, shell: str, prefix: str, root: Path) -> None:
        argv = (shutil.which(shell) or shell, "sh") if shell == "busybox" else (shell,)
        if shutil.which(argv[0]) is None:
            pytest.skip(f"{shell} not installed")
        self.root = root
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self._send(prefix + probe.definitions(plan=PLAN))
        self.polls = 0

    def _send(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(
            text.replace("/sys/class/hwmon/", f"{self.root}/sys/class/hwmon/").encode()
        )
        self.proc.stdin.flush()

    def poll(self, *, slow: bool) -> dict[str, object]:
        self.polls += 1
        nonce = f"{self.polls:016x}"
        self._send(probe.invocation(nonce, slow=slow))
        assert self.proc.stdout is not None
        out = b""
        done = probe.done_marker(nonce)
        while not out.endswith(done):
            line = self.proc.stdout.readline()
            assert line, "the shell ended"
            out += line
        text = out.decode().replace(f"==> {self.root}/", "==> /")
        frames = probe.split_output(text, nonce, PLAN)
        assert frames.complete
        return dict(parse_all(frames.sections).readings)

    def close(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(10)
        self.proc.stdout.close()


def _tree(root: Path, *, on_device: bool) -> Path:
    """hwmon0 with its own temp1_input; hwmon1 an old driver's chip, its files on its device
    (or not yet there)."""
    hw = root / "sys/class/hwmon"
    (hw / "hwmon0").mkdir(parents=True)
    (hw / "hwmon0/temp1_input").write_text("61000\n")
    device = root / "sys/devices/platform/it87.2608"
    device.mkdir(parents=True)
    (hw / "hwmon1").mkdir()
    (hw / "hwmon1/device").symlink_to(device)
    if on_device:
        (device / "temp1_input").write_text("35000\n")
    return device


def _on_device(readings: dict[str, object]) -> dict[str, float | None]:
    r = readings.get("hwmon_on_device")
    if not isinstance(r, Hwmon):
        return {}
    return {f"{c}/{s}": v.celsius for c, chip in r.chips.items() for s, v in chip.sensors.items()}


@pytest.mark.parametrize(("shell", "prefix"), SHELLS.values(), ids=SHELLS.keys())
def test_sensors_on_the_device_are_read_every_poll_from_the_first(
    shell: str, prefix: str, tmp_path: Path
) -> None:
    _tree(tmp_path, on_device=True)
    session = Session(shell, prefix, tmp_path)
    try:
        polls = [session.poll(slow=i % 3 == 0) for i in range(4)]
    finally:
        session.close()
    for readings in polls:
        assert _on_device(readings) == {"hwmon1/temp1": 35.0}
        assert isinstance(readings["hwmon"], Hwmon)


@pytest.mark.parametrize(("shell", "prefix"), SHELLS.values(), ids=SHELLS.keys())
def test_not_read_where_there_are_none_until_a_slow_round_finds_them(
    shell: str, prefix: str, tmp_path: Path
) -> None:
    device = _tree(tmp_path, on_device=False)
    session = Session(shell, prefix, tmp_path)
    try:
        first = session.poll(slow=True)
        (device / "temp1_input").write_text("35000\n")  # the driver loaded
        before_slow = session.poll(slow=False)  # the flag still says none: not listed
        session.poll(slow=True)  # finds them
        after = session.poll(slow=False)
    finally:
        session.close()
    assert _on_device(first) == {} and _on_device(before_slow) == {}
    assert isinstance(first["hwmon"], Hwmon) and "hwmon0" in first["hwmon"].chips
    assert _on_device(after) == {"hwmon1/temp1": 35.0}


def test_a_plan_without_a_sparse_section_defines_no_check() -> None:
    plain = probe.plan(())
    assert probe.SPARSE_CHECK not in probe.definitions(plan=plain)
    assert "_sm_sp_hwmon_on_device" in probe.definitions(plan=PLAN)
