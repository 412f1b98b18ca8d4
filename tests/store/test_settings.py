from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.config import load
from poller.yamlfile import ConfigError
from store.settings import StoreSettings


def test_the_removed_global_precision_settings_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"value_digits no longer exist.*poller/catalog\.py"):
        StoreSettings.model_validate({"value_digits": 4})


def test_a_config_file_that_still_sets_them_says_which_line(tmp_path: Path) -> None:
    path = tmp_path / "sshmon.yaml"
    path.write_text(
        "hosts:\n  a:\n    address: 127.0.0.1\n"
        "database:\n  url: chdb:///tmp/x\n  value_digits: 4\n  value_decimals: 2\n"
    )
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert "value_decimals and value_digits no longer exist" in message
    assert "line 4" in message or ":4" in message, message
