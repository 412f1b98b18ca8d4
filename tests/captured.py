"""What the recorded probe captures (tests/fixtures/local/probe-*.txt) hold."""

from __future__ import annotations

# Probe sections added after the captures were taken: each is tested on its own real
# capture instead (tests/fixtures/README.md). Re-capturing would change every golden file.
ADDED_AFTER_CAPTURE = frozenset({"cgroups", "tcp_states", "timex", "systemd_failed"})
