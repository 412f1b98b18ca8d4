"""The CLI says what to do next where a user gets stuck (issue 13's rough edges)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sshmon.cli import app

runner = CliRunner()


def test_a_missing_inventory_says_to_copy_the_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "inventory.example.yaml").write_text("hosts: {}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SSHMON_INVENTORY", raising=False)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "inventory.yaml: file not found" in result.stderr
    assert "cp inventory.example.yaml inventory.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_inventory_without_the_example_still_says_where_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SSHMON_INVENTORY", raising=False)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "inventory.example.yaml" in result.stderr and "sshmon demo" in result.stderr
