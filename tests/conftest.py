"""Shared test plugins. Kept small: fixtures live beside what they serve."""

# The real-sshd fixtures (`sshd`, `sshd_factory`), usable by poller, e2e and CLI tests alike.
# Imported as `sshd`: pytest puts this directory (no __init__.py) on sys.path for conftest.
pytest_plugins = ["sshd"]
