"""`sshmon replay` of a hostile /proc tree: the bad section is skipped, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sshmon.cli import app

PROCFS = Path(__file__).resolve().parents[1] / "fixtures" / "procfs"
runner = CliRunner()


@pytest.mark.parametrize("fmt", ["prometheus", "json"])
def test_a_400_digit_meminfo_value_skips_meminfo_and_prints_the_rest(
    tmp_path: Path, fmt: str
) -> None:
    root = tmp_path / "root"
    shutil.copytree(PROCFS, root)
    meminfo = root / "proc" / "meminfo"
    meminfo.write_text(meminfo.read_text().replace("MemTotal:", f"MemTotal: {'9' * 400} kB\nX:", 1))
    result = runner.invoke(app, ["replay", "--root", str(root), "--format", fmt])
    assert result.exit_code == 0, result.output + result.stderr
    assert "section meminfo skipped" in result.stderr and "out of range" in result.stderr
    if fmt == "json":
        names = {s["name"] for s in json.loads(result.stdout)}
    else:
        names = {ln.split("{")[0].split(" ")[0] for ln in result.stdout.splitlines()}
    assert "node_load1" in names
    assert not any(n.startswith("node_memory_") for n in names)


def test_a_cgroup_tree_prints_the_cadvisor_families() -> None:
    tree = Path(__file__).resolve().parents[1] / "fixtures" / "cgroup" / "hybrid"
    result = runner.invoke(app, ["replay", "--root", str(tree)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "# TYPE container_cpu_usage_seconds_total counter" in result.stdout
    assert (
        'container_cpu_usage_seconds_total{id="/system.slice/sshmon-capture.service",name=""}'
        " 0.330782" in result.stdout
    )
    assert 'name="docker:7e5e32073c1a"' in result.stdout
