"""The hwmon chips' `device` links resolved by the slow round with shell builtins only
(`cd -P`, `$PWD`: poller/collectors/base.py links_command), under dash, bash and busybox
sh: each link's directory as `sshmon replay --root` resolves it in the same tree, nothing
for a path no line can frame, and the session's directory left as it was (the operator's
commands run in it).

This machine has no hwmon chip: the probe's /sys/class/hwmon is pointed at a tree on the
way in, as tests/poller/test_held_names.py does."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from peer_fixtures import FIXTURES

from parsers import sys_class_hwmon_device
from poller import probe
from poller.collectors import hwmon
from poller.replay import sections_from_root

TREE = FIXTURES / "sysclass"
PLAN = probe.plan([hwmon.COLLECTOR])
NONCE = "0123456789abcdef"
SHELLS = {
    "dash": ("dash",),
    "bash": ("bash", "--posix"),
    "busybox": (shutil.which("busybox") or "busybox", "sh"),
}


def _slow_round(shell: tuple[str, ...], root: Path, start: Path) -> tuple[str, list[str]]:
    """The hwmon_devices section of one slow round run by `shell` from directory `start`
    (reached through its logical path), and `$PWD` and `pwd -P` after it."""
    if shutil.which(shell[0]) is None:
        pytest.skip(f"{shell[0]} not installed")
    script = probe.definitions(plan=PLAN).replace("/sys/class/hwmon/", f"{root}/sys/class/hwmon/")
    script += (
        f"cd {shlex.quote(str(start))}\n"
        + probe.invocation(NONCE, slow=True)
        + "printf 'after %s\\n' \"$PWD\"; printf 'after %s\\n' \"$(pwd -P)\"\n"
    )
    out = subprocess.run(
        shell, input=script.encode(), capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8", errors="replace")
    frames = probe.split_output(out, NONCE, PLAN)
    assert frames.complete
    after = [line[len("after ") :] for line in out.split("\n") if line.startswith("after ")]
    return frames.sections["hwmon_devices"].text, after


@pytest.fixture
def start(tmp_path: Path) -> Path:
    """A session directory reached through a symlink, as a home on /home -> /data/home."""
    (tmp_path / "real home").mkdir()
    (tmp_path / "home").symlink_to(tmp_path / "real home")
    return tmp_path / "home"


@pytest.mark.parametrize("shell", SHELLS.values(), ids=SHELLS.keys())
def test_the_slow_round_prints_where_the_devices_are_and_stays_where_it_was(
    shell: tuple[str, ...], start: Path
) -> None:
    text, after = _slow_round(shell, TREE, start)
    assert after == [str(start), os.path.realpath(start)]
    real = os.path.realpath(TREE)
    assert text.replace(real, "") == sections_from_root(TREE)["hwmon_devices"].text
    got = {
        c: d.device.replace(real, "")
        for c, d in sys_class_hwmon_device.parse(text).chips.items()
        if d.device
    }
    assert got == {
        "hwmon0": "/sys/devices/platform/coretemp.0",
        "hwmon1": "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0",
        "hwmon2": "/sys/class/thermal/thermal_zone2",
        "hwmon3": "/sys/devices/pci0000:00/0000:00:1c.4/0000:3e:00.0/nvme/nvme1",
        "hwmon5": "/sys/devices/platform/it87.2608",
    }  # hwmon4 has no device


def _hostile_tree(root: Path) -> None:
    """Links to directories whose paths no line can frame, beside one that is fine."""
    hw, devices = root / "sys/class/hwmon", root / "sys/devices"
    long = devices.joinpath(*["d" * 250] * 5)  # 1,266 bytes from / in this tree alone
    targets = {
        "hwmon0": devices / "platform/ok.0",
        "hwmon1": devices / "a\nhwmon9 /sys/devices/forged",
        "hwmon2": devices / "bell\x07",
        "hwmon3": devices / "caf\u00e9",
        "hwmon4": long,
        "hwmon5": devices / "gone",  # dangling
        "hwmon6": devices / "a-file",  # not a directory
    }
    for chip, target in targets.items():
        if target.name not in ("gone", "a-file"):
            target.mkdir(parents=True)
        (hw / chip).mkdir(parents=True)
        (hw / chip / "device").symlink_to(target)
    (devices / "a-file").write_text("")


@pytest.mark.parametrize("shell", SHELLS.values(), ids=SHELLS.keys())
def test_a_path_no_line_can_frame_is_left_out_and_nothing_forged(
    shell: tuple[str, ...], tmp_path: Path, start: Path
) -> None:
    root = tmp_path / "tree"
    _hostile_tree(root)
    text, after = _slow_round(shell, root, start)
    assert after == [str(start), os.path.realpath(start)]
    assert text == f"hwmon0 {os.path.realpath(root)}/sys/devices/platform/ok.0\n"
    assert sections_from_root(root)["hwmon_devices"].text == "hwmon0 /sys/devices/platform/ok.0\n"


@pytest.mark.parametrize("shell", SHELLS.values(), ids=SHELLS.keys())
def test_without_hwmon_the_section_is_empty_and_the_directory_kept(
    shell: tuple[str, ...], tmp_path: Path, start: Path
) -> None:
    text, after = _slow_round(shell, tmp_path / "no-such-tree", start)
    assert text == ""
    assert after == [str(start), os.path.realpath(start)]
    assert sys_class_hwmon_device.parse(text).chips == {}
