"""User mistakes on the command line end in one clear line and exit status 2, never a trace."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

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
