"""Shared test plugins. Kept small: fixtures live beside what they serve."""

from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline anywhere: property tests pin what parsers and derive return, and
# a 200 ms limit per example measures the machine (2 cores shared by many suites in CI).
# Loaded here, before test modules are imported, so @settings(...) without a deadline
# inherits it too. Speed is measured in bench/.
settings.register_profile("sshmon", deadline=None)
settings.load_profile("sshmon")

# The real-sshd fixtures (`sshd`, `sshd_factory`), usable by poller, e2e and CLI tests alike.
# Imported as `sshd`: pytest puts this directory (no __init__.py) on sys.path for conftest.
pytest_plugins = ["sshd"]


def pytest_configure(config: pytest.Config) -> None:
    # Every command checks route URLs with Apprise now (sshmon/config.py), and Apprise 2.2's
    # e-mail plugin imports `imghdr` (deprecated in 3.11) when its plugins first load; the
    # same narrow exception as tests/alerts/conftest.py, for every suite.
    config.addinivalue_line("filterwarnings", "ignore:'imghdr' is deprecated:DeprecationWarning")


@pytest.fixture(scope="session")
def chdb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """THE embedded store directory of this test process, for every suite.

    chDB opens one data directory per process ("EmbeddedServer already initialized with
    path …" for a second one), so suites share this one and isolate by database name.
    """
    return tmp_path_factory.mktemp("chdb") / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reads the shared fleet (tests/api/fleetdata.py), directly or
    through an app built on it: tests/at_other_hours.sh runs `-m fleet` at faked hours."""
    for item in items:
        if "fleet" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.fleet)
