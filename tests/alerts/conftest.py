"""Fixtures for the alerts tests: a real HTTP receiver for Apprise, a real SQLite database."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alerts_helpers import Receiver

from alerts.db import AlertsDB

# Apprise 2.2's e-mail plugin imports `imghdr` (deprecated in 3.11, removed in 3.13) when it
# loads its plugins on the first URL it parses; nothing of ours uses it. Narrow on purpose.
warnings.filterwarnings("ignore", message="'imghdr' is deprecated", category=DeprecationWarning)


def pytest_configure(config: pytest.Config) -> None:
    # pyproject's filterwarnings=error is applied per test and wins over the module-level
    # filter above, so the same narrow exception is added to the ini filters too
    config.addinivalue_line("filterwarnings", "ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def db(tmp_path: Path) -> Iterator[AlertsDB]:
    database = AlertsDB(f"sqlite:///{tmp_path / 'alerts.db'}")
    yield database
    database.close()
