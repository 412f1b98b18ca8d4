"""The generated references cannot drift from the code, and the example config stays valid.

docs/configuration.md and docs/alert-rules.md are rendered from the models, the metric
catalog and the shipped rules by docs/gen.py; a change to any of them without
`python docs/gen.py` fails here, with the command to run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from poller.catalog import METRICS
from sshmon import config

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_gen", DOCS / "gen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["configuration.md", "alert-rules.md"])
def test_generated_doc_matches_the_code(name: str) -> None:
    gen = _gen()
    committed = (DOCS / name).read_text(encoding="utf-8")
    assert committed == gen.FILES[name](), f"docs/{name} is out of date: run `python docs/gen.py`"


def test_check_mode_exits_zero_when_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(DOCS / "gen.py"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_every_section_and_metric_is_documented() -> None:
    reference = (DOCS / "configuration.md").read_text(encoding="utf-8")
    for section in ("defaults", "groups.NAME", "hosts.NAME", "poller", "database", "web",
                    "alerts", "alerts.rules[]", "alerts.routes[]", "database.retention"):
        assert f"## `{section}`" in reference
    rules = (DOCS / "alert-rules.md").read_text(encoding="utf-8")
    assert all(f"| `{name}` |" in rules for name in METRICS)


def test_example_inventory_with_every_section_passes_config_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHMON_DATA_DIR", str(tmp_path))
    example = ROOT / "inventory.example.yaml"
    loaded = config.load(example, {})
    assert [h.name for h in loaded.inventory.hosts] == ["localhost"]
    text = example.read_text(encoding="utf-8")
    for section in ("poller:", "database:", "web:", "alerts:"):
        assert f"\n# {section}" in text, f"{section} missing from the example"


def uncommented(text: str) -> str:
    """The example with its optional sections switched on: `# key:` lines become YAML,
    `##` lines (prose, alternatives) are dropped."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("# --- Optional sections"))
    out = lines[:start]
    for line in lines[start + 1 :]:
        if line.lstrip("# ").startswith("#") or line.startswith("##"):
            continue
        out.append(line[2:] if line.startswith("# ") else "")
    return "\n".join(out)


def test_example_sections_uncommented_pass_config_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Error messages point at the example, so what it shows must be valid as written."""
    monkeypatch.setenv("SSHMON_DATA_DIR", str(tmp_path))
    full = tmp_path / "inventory.yaml"
    full.write_text(uncommented((ROOT / "inventory.example.yaml").read_text(encoding="utf-8")))
    loaded = config.load(full, {"SSHMON_ALERT_URLS": "json://localhost"})
    assert loaded.web.base_url == "https://mon.example.com"
    assert [r.name for r in loaded.alerts.routes] == ["ops"]
    assert "root_fs_full" in {r.name for r in loaded.alerts.rules}
    assert "swap_used" not in {r.name for r in loaded.alerts.rules}
    assert loaded.database.retention.raw_days == 7


def test_readme_links_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docs = ("configuration.md", "alert-rules.md", "troubleshooting.md", "operations.md")
    # architecture.md: the design lives in the repository, not in a file beside it
    for doc in (*docs, "architecture.md"):
        assert f"docs/{doc}" in readme
        assert (DOCS / doc).is_file()
    assert "../shared/" not in readme
