"""A target that answers with terminal escapes (issue 14.3), through the CLI as a user runs it.

The sshd is real; its login for the client key gets a PATH (authorized_keys `environment=`)
where `uname` and `df` are ours, so the probe reads a kernel release and a mount point that
blink (`ESC[5m`), retitle the window (`ESC]0;owned BEL`) and carry rich markup. Nothing of
it may reach the operator's terminal or the log raw. `df` also prints a mount point with a
newline, as busybox does (issue 14.4): that row alone is skipped, with a warning.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sshd import Sshd
from test_cli_sshd import SSHMON, inventory, sshmon

pytestmark = pytest.mark.sshd

BLINK, TITLE = "\x1b[5m", "\x1b]0;owned\x07"
# how they must print: every control character as \xNN, markup as written
BLINK_SHOWN, TITLE_SHOWN = "\\x1b[5m", "\\x1b]0;owned\\x07"
RELEASE_SHOWN = f"6.1.0{BLINK_SHOWN}[bold]"

FAKE_UNAME = r"""#!/bin/sh
case "$*" in
  -snrm) printf 'Linux evil\033]0;owned\007 6.1.0\033[5m[bold] x86_64\n' ;;
  -v) printf '#1 SMP \033[5mPREEMPT\n' ;;
  *) exec /usr/bin/uname "$@" ;;
esac
"""
FAKE_DF = r"""#!/bin/sh
case "$1" in
  -kP) printf 'Filesystem 1024-blocks Used Available Capacity Mounted on\n'
       printf '/dev/evil 1000 990 10 99%% /mnt/\033]0;owned\007\033[5m\n'
       printf '/dev/usb 1000 10 990 1%% /media/usb\nstick\n' ;;
  -iP) printf 'Filesystem Inodes IUsed IFree IUse%% Mounted on\n'
       printf '/dev/evil 100 10 90 10%% /mnt/\033]0;owned\007\033[5m\n' ;;
esac
"""


@pytest.fixture
def hostile(sshd_factory: Any) -> Sshd:
    server: Sshd = sshd_factory(extra_config="PermitUserEnvironment PATH\n")
    bin_dir = server.root / "hostile-bin"
    bin_dir.mkdir()
    for name, script in (("uname", FAKE_UNAME), ("df", FAKE_DF)):
        (bin_dir / name).write_text(script)
        (bin_dir / name).chmod(0o755)
    server.authorized_keys.write_text(
        f'environment="PATH={bin_dir}:/usr/bin:/bin" '
        + Path(f"{server.client_key}.pub").read_text()
    )
    return server


def _assert_no_raw_controls(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text, repr(text)


def test_check_and_probe_show_target_escapes_escaped(tmp_path: Path, hostile: Sshd) -> None:
    inv = inventory(tmp_path, hostile)
    sshmon("trust", "target", "--yes", "-i", str(inv), check=True)

    checked = sshmon("check", "-i", str(inv), check=True)
    _assert_no_raw_controls(checked.stdout + checked.stderr)
    # the release as the target sent it, escapes spelled out, `[bold]` not taken as markup
    assert RELEASE_SHOWN in checked.stdout

    probed = sshmon("probe", "target", "--interval", "0.2", "-i", str(inv), check=True)
    _assert_no_raw_controls(probed.stdout + probed.stderr)
    assert f"/mnt/{TITLE_SHOWN}{BLINK_SHOWN}" in probed.stdout
    # the row split by a newline is left out, the other filesystem still has its metrics
    assert "warning: section df: kept 1 of 2 rows; df: row skipped: mount point split" in (
        probed.stderr
    )
    assert "fs_used_percent" in probed.stdout and "/media/usb" not in probed.stdout


def test_run_log_and_alerts_list_show_a_hostile_mount_point_escaped(
    tmp_path: Path, hostile: Sshd
) -> None:
    """The mount point reaches the log (alert transition) and `alerts list` (its device)."""
    inv = inventory(tmp_path, hostile)
    inv.write_text(
        inv.read_text()
        + "    interval: 1s\nalerts:\n  defaults: false\n  rules:\n"
        + "    - name: disk_full\n      metric: fs_used_percent\n      critical: 90\n"
    )
    sshmon("trust", "target", "--yes", "-i", str(inv), check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(SSHMON), "run", "--no-web", "-i", str(inv)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 90
        # waiting on the event itself: the alert transition line in the log
        while "alert disk_full" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    output = log_path.read_text(errors="replace")
    assert code == 0, output
    _assert_no_raw_controls(output)
    assert f"dev=/mnt/{TITLE_SHOWN}{BLINK_SHOWN}" in output

    listed = sshmon("alerts", "list", "-i", str(inv), check=True)
    _assert_no_raw_controls(listed.stdout + listed.stderr)
    assert f"/mnt/{TITLE_SHOWN}{BLINK_SHOWN}" in listed.stdout


def test_the_log_formatter_escapes_messages_arguments_and_tracebacks() -> None:
    """`sshmon run`'s logging, in a process of its own (pytest owns this one's handlers)."""
    program = (
        "import logging\n"
        "from sshmon.cli_run import _logging\n"
        "_logging('info')\n"
        "log = logging.getLogger('sshmon')\n"
        f"log.warning('poll of %s failed: %s', 'web\\n1', {TITLE!r})\n"
        f"log.warning({'mount ' + BLINK!r})\n"
        "try:\n"
        f"    raise ValueError({TITLE!r})\n"
        "except ValueError:\n"
        "    log.exception('parse failed')\n"
    )
    result = subprocess.run(
        [str(SSHMON.with_name("python")), "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    _assert_no_raw_controls(result.stderr)
    lines = result.stderr.splitlines()
    assert lines[0].endswith(f"poll of web\\x0a1 failed: {TITLE_SHOWN}")  # no forged line
    assert lines[1].endswith(f"mount {BLINK_SHOWN}")
    assert lines[-1] == f"ValueError: {TITLE_SHOWN}"


def _on_a_terminal(*args: str) -> str:
    """Run sshmon with stdout on a pseudo-terminal, as a person at a shell would."""
    leader, follower = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    with subprocess.Popen(
        [str(SSHMON), *args], stdout=follower, stderr=subprocess.PIPE, env=env
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def test_raw_capture_and_replay_escape_on_a_terminal_and_stay_exact_in_a_pipe(
    tmp_path: Path, hostile: Sshd
) -> None:
    inv = inventory(tmp_path, hostile)
    sshmon("trust", "target", "--yes", "-i", str(inv), check=True)
    capture = tmp_path / "capture.txt"
    piped = subprocess.run(
        [str(SSHMON), "probe", "target", "--raw", "-i", str(inv)], capture_output=True, timeout=60
    )
    assert piped.returncode == 0, piped.stderr
    assert TITLE.encode() in piped.stdout  # the capture is what the target sent
    capture.write_bytes(piped.stdout)
    # exact for tools (node_uname_info carries the target's nodename and release)
    assert f'nodename="evil{TITLE}"' in sshmon("replay", str(capture), check=True).stdout

    shown = _on_a_terminal("probe", "target", "--raw", "-i", str(inv))
    _assert_no_raw_controls(shown)
    assert f"/mnt/{TITLE_SHOWN}" in shown
    replayed = _on_a_terminal("replay", str(capture))
    _assert_no_raw_controls(replayed)
    assert f'nodename="evil{TITLE_SHOWN}",release="{RELEASE_SHOWN}"' in replayed
