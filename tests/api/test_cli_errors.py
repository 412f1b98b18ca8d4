"""User mistakes on the command line end in one clear line and exit status 2, never a trace."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sshmon.cli import app

runner = CliRunner()


def test_replay_needs_exactly_one_source() -> None:
    result = runner.invoke(app, ["replay"])
    assert result.exit_code == 2
    assert "give either a CAPTURE file or --root DIR" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_replay_of_a_file_that_is_not_a_capture(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\xffnot a capture\n" * 10)
    result = runner.invoke(app, ["replay", str(junk)])
    assert result.exit_code == 2
    assert "no framed probe output found" in result.stderr


def test_replay_of_a_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_root_without_proc_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["replay", "--root", str(tmp_path)])
    assert result.exit_code == 2
    assert "no proc/ directory" in result.stderr


def silence_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        f"poller: {{data_dir: {tmp_path / 'data'}}}\n"
        "groups: {db: {}}\n"
        "hosts:\n  db-1: {transport: local, groups: [db]}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--host", "db-9"], "--host 'db-9': not a host in the inventory (did you mean db-1?)"),
        (["--group", "dbs"], "--group 'dbs': not a group in the inventory (did you mean db?)"),
        (["--rule", "load_anyy"], "--rule 'load_anyy': no enabled rule by that name"),
        (
            ["--rule", "cpu_bussy"],
            "--rule 'cpu_bussy': no enabled rule by that name (did you mean cpu_busy?)",
        ),
    ],
    ids=["host", "group", "rule", "rule-with-hint"],
)
def test_a_silence_naming_what_does_not_exist_is_refused(
    tmp_path: Path, args: list[str], error: str
) -> None:
    path = silence_inventory(tmp_path)
    result = runner.invoke(app, ["alerts", "silence", "add", *args, "--for", "1h", "-i", str(path)])
    assert (result.exit_code, result.stderr) == (2, f"error: {error}\n")
    listed = runner.invoke(app, ["alerts", "silence", "list", "-i", str(path)])
    assert listed.stdout == "no silences\n"


def test_a_maintenance_window_naming_an_unknown_host_is_refused(tmp_path: Path) -> None:
    path = silence_inventory(tmp_path)
    args = ["alerts", "maintenance", "add", "backup", "--host", "db-2", "--host", "mail"]
    result = runner.invoke(app, [*args, "--at", "02:00", "--duration", "1h", "-i", str(path)])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --host 'db-2': not a host in the inventory (did you mean db-1?)\n"
        "error: --host 'mail': not a host in the inventory\n"
    )


def test_a_silence_of_known_names_is_accepted(tmp_path: Path) -> None:
    path = silence_inventory(tmp_path)
    args = ["--host", "db-1", "--group", "db", "--rule", "load_per_core", "--for", "1h"]
    result = runner.invoke(app, ["alerts", "silence", "add", *args, "-i", str(path)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("silence #1: host=db-1 group=db rule=load_per_core until ")
