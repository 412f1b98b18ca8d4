"""Rules changed in the UI layered over the file (alerts.effective), stored with their audit
trail (alerts.overrides), and exported back into a file that the loader reads the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from alerts import rule_edit, runtime
from alerts.db import AlertsDB
from alerts.effective import Effective, dump, export_section
from alerts.overrides import OverrideStore, describe_change

FILE = """poller:
  data_dir: {data}
groups:
  web: {{}}
  db: {{}}
hosts:
  web-1: {{groups: [web]}}
  db-1: {{groups: [db]}}
alerts:
  defaults:
    swap_used: false
    cpu_busy: {{warning: 95}}
  rules:
    - name: booted
      metric: uptime_seconds
      warning: 1000000
      hosts: {{db-1: {{critical: 2000000}}}}
    - name: old
      metric: load1_per_core
      warning: 8
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


def edit_all(loaded: runtime.Loaded, store: OverrideStore) -> Effective:
    """Every kind of change, each stored as the API stores it."""
    known = rule_edit.Known(frozenset({"web-1", "db-1"}), frozenset({"web", "db"}))
    now = 1000.0
    for plan in (
        lambda e: rule_edit.create(
            e,
            {
                "name": "web_mem",
                "metric": "mem_used_percent",
                "warning": 70,
                "scope": {"groups": ["web"]},
            },
            known,
        ),
        lambda e: rule_edit.thresholds(e, "booted", {"warning": 5}, known),
        lambda e: rule_edit.thresholds(e, "memory_used", {"critical": 99}, known),
        lambda e: rule_edit.set_enabled(e, "iowait", False, known),
        lambda e: rule_edit.delete(e, "fs_filling"),
        lambda e: rule_edit.delete(e, "old"),
    ):
        edit = plan(loaded.effective(store.all()))
        now += 1
        store.put(
            edit.name,
            edit.after,
            action=edit.action,
            before=edit.before,
            who="t",
            now=now,
            keep=edit.keep,
        )
    return loaded.effective(store.all())


def by_name(effective: Effective) -> dict[str, dict[str, Any]]:
    return {r.rule.name: dump(r.rule) for r in effective.rules}


def test_export_written_back_into_the_file_loads_to_the_same_rules(tmp_path: Path) -> None:
    path = write(tmp_path, FILE.format(data=tmp_path / "data"))
    loaded = runtime.load(path)
    db = AlertsDB(loaded.db_url)
    try:
        effective = edit_all(loaded, OverrideStore(db))
    finally:
        db.close()
    sources = {r.rule.name: r.source for r in effective.rules}
    assert sources["web_mem"] == sources["booted"] == sources["memory_used"] == "ui"
    assert {"fs_filling", "old"} == {d.rule.name for d in effective.deleted}

    doc = yaml.safe_load(path.read_text())
    doc["alerts"].update(export_section(loaded.config, effective))
    back = runtime.load(write(tmp_path, yaml.safe_dump(doc)))  # the file loader, checks and all
    assert by_name(back.effective([])) == by_name(effective)
    assert {r.name for r in back.config.rules} == {
        r.rule.name for r in effective.rules if r.rule.enabled
    }


def test_an_override_replaces_the_file_rule_whole_and_the_audit_says_what_changed(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, FILE.format(data=tmp_path / "data"))
    loaded = runtime.load(path)
    db = AlertsDB(loaded.db_url)
    try:
        store = OverrideStore(db)
        effective = edit_all(loaded, store)
        audit = store.audit()
    finally:
        db.close()
    booted = effective.get("booted")
    assert booted is not None
    assert (booted.rule.warning, booted.rule.hosts["db-1"].critical) == (5.0, 2000000.0)
    assert (booted.source, booted.replaces, booted.updated_by) == ("ui", "file", "t")
    assert [e.action for e in audit] == [
        "delete",
        "delete",
        "disable",
        "thresholds",
        "thresholds",
        "create",
    ]
    assert describe_change(audit[4].before, audit[4].after) == "warning: 1000000.0 → 5.0"
    assert describe_change(None, audit[-1].after) == "created"
