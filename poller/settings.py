"""The `poller:` section of the config file: process-wide poller settings."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


def default_data_dir() -> Path:
    """Where sshmon keeps its own state (known_hosts, embedded store, spool)."""
    env = os.environ.get("SSHMON_DATA_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser() / "sshmon"


class PollerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_dir: str | None = None
    # sshmon's own known_hosts; `sshmon trust` writes here. Default: DATA_DIR/known_hosts
    known_hosts: str | None = None
    # sshd's MaxStartups defaults to 10 unauthenticated connections; more at once get dropped
    max_unauthenticated_per_target: int = Field(default=10, ge=1, le=1000)
    # poller processes of `sshmon run` (sshmon/workers.py); unset: one per core, at most 8,
    # one per 300 polls a second at most (3,000 hosts at 10 s); 1: everything in one process
    workers: int | None = Field(default=None, ge=1, le=64)

    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else default_data_dir()

    def known_hosts_path(self) -> Path:
        if self.known_hosts:
            return Path(self.known_hosts).expanduser()
        return self.data_path() / "known_hosts"
