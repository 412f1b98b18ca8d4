from __future__ import annotations

from pathlib import Path

import pytest
from captured import ABSENT_ON_THE_VM, ADDED_AFTER_CAPTURE

from parsers import frame
from parsers.frame import tail_files
from poller.collectors.registry import SOURCES, parse_all
from poller.probe import FAST_FILES, SLOW_COMMANDS, SLOW_FILES
from poller.replay import sections_from_capture, sections_from_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# commands that filter one file (udp_queues): a tree holds the file itself
FILTERED = {name: s.reads for name, s in SOURCES.items() if s.command and s.reads}
CAPTURE = sorted((FIXTURES / "local").glob("probe-*.txt"))[0]


def test_root_tree_reads_what_exists_and_nothing_else() -> None:
    found = sections_from_root(FIXTURES / "procfs")
    assert {"stat", "meminfo", "loadavg", "diskstats", "net_dev", "pressure_cpu"} <= set(found)
    assert "net_snmp" not in found  # no proc/net/snmp in that tree: absent, not empty
    # no command runs against a tree; one that only filters a file (grep of
    # /proc/net/udp) gets the whole file instead
    assert set(found) & set(SLOW_COMMANDS) == {"net_udp"} == set(FILTERED)
    udp = (FIXTURES / "procfs/proc/net/udp").read_text().splitlines()
    assert found["net_udp"].text.startswith("".join(f"/proc/net/udp:{line}\n" for line in udp))
    assert found["loadavg"].text == (FIXTURES / "procfs/proc/loadavg").read_text()


def test_capture_finds_its_nonce_and_every_section() -> None:
    text = CAPTURE.read_text()
    found = sections_from_capture("Welcome to host!\nmotd line\n" + text)
    assert set(found) == {*FAST_FILES, *SLOW_FILES, *SLOW_COMMANDS} - (
        ADDED_AFTER_CAPTURE | ABSENT_ON_THE_VM
    )
    nonce = text.split()[1]
    fast = {path: name for name, path in FAST_FILES.items()}
    # the capture's fast read still held the settings now read in the slow round and held
    # in between (Source.held): they come out of it as their own sections
    held = {"entropy_poolsize", "nf_conntrack_max"}
    fast.update((SLOW_FILES[name], name) for name in held)
    assert found == frame.split(text, nonce, fast).sections
    assert held <= set(found)


def test_a_tree_written_from_a_capture_reads_back_the_same(tmp_path: Path) -> None:
    found = sections_from_capture(CAPTURE.read_text())
    for name, path in (*FAST_FILES.items(), *SLOW_FILES.items()):
        if name not in found:
            continue  # absent on the captured VM: absent from the tree too
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(found[name].text)
    for name in FILTERED:  # `grep -H` output: PATH:LINE, back into its files
        for line in found[name].text.splitlines():
            path, _, rest = line.partition(":")
            with (tmp_path / path.lstrip("/")).open("a") as f:
                f.write(rest + "\n")
    again = sections_from_root(tmp_path)
    # the cgroups glob section also reads /proc/uptime (its clock): it is there, holding
    # only that, and parses to nothing (the capture predates it)
    assert tail_files(again.pop("cgroups").text) == [("/proc/uptime", found["uptime"].text)]
    assert {k: v.text for k, v in again.items()} == {
        k: v.text for k, v in found.items() if k not in SLOW_COMMANDS or k in FILTERED
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
