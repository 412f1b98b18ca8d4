"""The data directory holds what must stay private: the token and session store (auth.db),
the session key, alert state, the spool and the embedded store. It is created 0700 and the
process umask is set to 077 before anything is written, so every file sshmon (SQLite, chDB,
the spool writer) creates in it is 0600 without each writer having to remember."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def prepare(path: Path) -> Path:
    """Create `path` owner-only, or tighten it when it is ours and open to others."""
    os.umask(PRIVATE_UMASK)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        # a directory from an older sshmon (made 0755): other users could read auth.db
        path.chmod(0o700)
    return path
