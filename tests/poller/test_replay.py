from __future__ import annotations

from pathlib import Path

import pytest

from parsers import frame
from poller.collectors.registry import parse_all
from poller.probe import FAST_FILES, SLOW_COMMANDS, SLOW_FILES
from poller.replay import sections_from_capture, sections_from_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CAPTURE = sorted((FIXTURES / "local").glob("probe-*.txt"))[0]


def test_root_tree_reads_what_exists_and_nothing_else() -> None:
    found = sections_from_root(FIXTURES / "procfs")
    assert {"stat", "meminfo", "loadavg", "diskstats", "net_dev", "pressure_cpu"} <= set(found)
    assert "net_snmp" not in found  # no proc/net/snmp in that tree: absent, not empty
    assert not set(found) & set(SLOW_COMMANDS)  # no command runs against a tree
    assert found["loadavg"].text == (FIXTURES / "procfs/proc/loadavg").read_text()


def test_capture_finds_its_nonce_and_every_section() -> None:
    text = CAPTURE.read_text()
    found = sections_from_capture("Welcome to host!\nmotd line\n" + text)
    # the capture predates /proc/mdstat and the /sys globs (and its VM has none of them)
    assert set(found) == {*FAST_FILES, *SLOW_FILES, *SLOW_COMMANDS} - {"mdstat"}
    nonce = text.split()[1]
    fast = {path: name for name, path in FAST_FILES.items()}
    assert found == frame.split(text, nonce, fast).sections


def test_a_tree_written_from_a_capture_reads_back_the_same(tmp_path: Path) -> None:
    found = sections_from_capture(CAPTURE.read_text())
    for name, path in (*FAST_FILES.items(), *SLOW_FILES.items()):
        if name not in found:
            continue  # /proc/mdstat: the captured VM has no md driver
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(found[name].text)
    again = sections_from_root(tmp_path)
    assert {k: v.text for k, v in again.items()} == {
        k: v.text for k, v in found.items() if k not in SLOW_COMMANDS
    }
    assert parse_all(again).failures == {}


def test_not_a_capture_is_empty() -> None:
    assert sections_from_capture("") == {}
    assert sections_from_capture("@@sshmon\n@@sshmon x\nhello\n") == {}


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs a Linux /proc")
def test_this_machines_root_parses_without_failures() -> None:
    parsed = parse_all(sections_from_root(Path("/")))
    assert parsed.failures == {}
    assert {"stat", "meminfo", "mounts"} <= set(parsed.readings)


def test_os_release_falls_back_to_usr_lib(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text('NAME="Tiny"\nPRETTY_NAME="Tiny 1"\n')
    assert "Tiny 1" in sections_from_root(tmp_path)["os_release"].text
