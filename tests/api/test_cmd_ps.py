"""parsers/cmd_ps.py (kept beside the API that uses it). Fixtures in tests/api/fixtures are
real captures from a Debian 12 box: `ps.procps` is procps-ng 4.0.2, `ps.busybox` and
`ps.busybox-minimal` are busybox 1.35 applets (`ps -o pid,user,rss,comm` and plain `ps`),
each cut to its first lines."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import cmd_ps
from parsers.errors import ParseError

FIXTURES = Path(__file__).parent / "fixtures"


def test_procps_capture_has_cpu_and_rss() -> None:
    listing = cmd_ps.parse((FIXTURES / "ps.procps").read_text())
    assert listing.has_cpu and listing.has_rss and not listing.truncated
    assert len(listing.processes) == 39
    first = listing.processes[0]
    assert first.pid == 1 and first.user == "root" and first.rss_bytes == 14756 * 1024
    top = listing.top_by_cpu(3)
    assert [p.cpu_percent for p in top] == sorted((p.cpu_percent or 0 for p in top), reverse=True)


def test_busybox_capture_has_rss_with_suffixes_and_no_cpu() -> None:
    listing = cmd_ps.parse((FIXTURES / "ps.busybox").read_text())
    assert listing.has_rss and not listing.has_cpu
    assert listing.processes[0].rss_bytes == 14 * 1024 * 1024  # "14m"
    assert listing.top_by_cpu() == []  # unknown, not "everything at 0 %"
    assert listing.top_by_memory(1)[0].pid == 1


def test_minimal_busybox_keeps_pid_user_and_command() -> None:
    listing = cmd_ps.parse((FIXTURES / "ps.busybox-minimal").read_text())
    assert not listing.has_cpu and not listing.has_rss
    p = listing.processes[0]
    assert p.pid == 1 and p.cpu_percent is None and p.rss_bytes is None
    assert p.command.startswith("/process_api --firecracker-init")  # spaces kept


@pytest.mark.parametrize(
    ("text", "check"),
    [
        (
            "  PID USER %CPU RSS COMMAND\n  7 www  1.5 20 Web Content\n",
            lambda pl: pl.processes[0].command == "Web Content",
        ),
        (
            "PID USER %CPU RSS COMMAND\n1 root 0.0 10 init\n2 root 0.0 5 kth",
            lambda pl: pl.truncated and len(pl.processes) == 1,
        ),
        ("COMMAND PID\n", None),
        ("PID USER COMMAND RSS\n", None),
        ("", None),
        ("PID USER %CPU RSS COMMAND\nx root 0.0 1 init\n", None),
        ("PID USER %CPU RSS COMMAND\n1 root\n", None),
        (
            "PID USER RSS COMMAND\n1 root 2g big\n",
            lambda pl: pl.processes[0].rss_bytes == 2 * 1024**3,
        ),
    ],
    ids=[
        "command-with-spaces",
        "truncated-last-line",
        "no-pid",
        "command-not-last",
        "empty",
        "bad-pid",
        "short-line",
        "gigabyte-suffix",
    ],
)
def test_edge_cases(text: str, check: object) -> None:
    if check is None:
        with pytest.raises(ParseError):
            cmd_ps.parse(text)
    else:
        assert check(cmd_ps.parse(text))  # type: ignore[operator]


@given(st.text(max_size=300))
def test_any_text_gives_a_listing_or_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        cmd_ps.parse(text)


@pytest.mark.skipif(shutil.which("busybox") is None, reason="busybox is not installed")
def test_the_fixed_command_degrades_under_busybox(tmp_path: Path) -> None:
    # a PATH where `ps` is busybox's: the first form fails, the second answers
    (tmp_path / "ps").symlink_to(shutil.which("busybox"))  # type: ignore[arg-type]
    out = subprocess.run(
        [shutil.which("busybox"), "sh", "-c", cmd_ps.COMMAND],  # type: ignore[list-item]
        env={"PATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=10,
    )
    listing = cmd_ps.parse(out.stdout)
    assert listing.has_rss and not listing.has_cpu and listing.processes


def test_the_fixed_command_under_procps() -> None:
    if shutil.which("ps") is None:
        pytest.skip("no ps")
    out = subprocess.run(["sh", "-c", cmd_ps.COMMAND], capture_output=True, text=True, timeout=10)
    listing = cmd_ps.parse(out.stdout)
    assert listing.has_cpu and listing.has_rss and len(listing.processes) > 1
