from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from poller.yamlfile import ConfigError
from sshmon.config import load
from store.settings import StoreSettings


def test_the_removed_global_precision_settings_are_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        StoreSettings.model_validate({"value_digits": 4})
    [error] = caught.value.errors()
    assert error["loc"] == ("value_digits",)
    assert error["msg"].startswith("no longer exists: each metric's precision is declared")
    assert "poller/catalog.py" in error["msg"]


def test_a_config_file_that_still_sets_them_names_each_keys_line(tmp_path: Path) -> None:
    path = tmp_path / "sshmon.yaml"
    path.write_text(
        "hosts:\n  a:\n    address: 127.0.0.1\n"
        "database:\n  url: chdb:///tmp/x\n  value_digits: 4\n  batch_rows: 0\n"
        "  value_decimals: 2\n"
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    removed = "no longer exists: each metric's precision is declared in the metric catalog"
    # each at its own line, and the section's other mistake is not hidden behind them
    assert [p.split(": ", 2)[:2] for p in caught.value.problems] == [
        [f"{path}:6", "database.value_digits"],
        [f"{path}:8", "database.value_decimals"],
        [f"{path}:7", "database.batch_rows"],
    ]
    assert caught.value.problems[0] == (
        f"{path}:6: database.value_digits: {removed} (poller/catalog.py); delete this key (got 4)"
    )
