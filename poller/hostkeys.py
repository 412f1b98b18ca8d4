"""Host-key checking: sshmon's own known_hosts file plus the host's and the user's.

asyncssh decides nothing here on its own. We hand it a matcher over our files
(`known_hosts=KeyCheck.match`); when the presented key is not among the matched ones,
asyncssh asks `KeyCheck.judge`, which tells an unknown host (never accepted silently,
unless the host says `trust_on_first_use`) from a changed key (always refused, both
fingerprints kept for the report).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from poller.errors import HostKeyChanged, HostKeyUnknown, PollError

DEFAULT_SSH_PORT = 22


def user_known_hosts() -> tuple[Path, ...]:
    return (Path("~/.ssh/known_hosts").expanduser(),)


def pattern(host: str, port: int | None) -> str:
    """The known_hosts host field OpenSSH writes for host:port."""
    if port in (None, DEFAULT_SSH_PORT):
        return host
    return f"[{host}]:{port}"


def fingerprint(key: asyncssh.SSHKey) -> str:
    return str(key.get_fingerprint("sha256"))


class KnownHostsCache:
    """Parsed known_hosts files, re-read only when a file changes (2,000 connects at start-up
    would otherwise parse the same file 2,000 times)."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, ...], tuple[tuple[int, ...], asyncssh.SSHKnownHosts]] = {}

    def load(self, files: Sequence[Path]) -> asyncssh.SSHKnownHosts:
        existing = tuple(str(f) for f in files if f.is_file())
        stamp = tuple(n for f in existing for n in _stamp(f))
        cached = self._parsed.get(existing)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        known = asyncssh.read_known_hosts(list(existing)) if existing else _empty()
        self._parsed[existing] = (stamp, known)
        return known


def _stamp(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def _empty() -> asyncssh.SSHKnownHosts:
    return asyncssh.import_known_hosts("")


class KeyCheck:
    """The host-key decision for one connect attempt; `verdict` explains a refusal."""

    def __init__(
        self,
        known: asyncssh.SSHKnownHosts,
        *,
        own_file: Path,
        target: str,
        trust_on_first_use: bool = False,
        capture_only: bool = False,
    ) -> None:
        self._known = known
        self._own_file = own_file
        self._target = target
        self._tofu = trust_on_first_use
        # capture_only: trust nothing, just remember what was presented (`sshmon trust`)
        self._capture_only = capture_only
        self.verdict: PollError | None = None
        self.presented: asyncssh.SSHKey | None = None
        self.presented_as: str = ""
        self.known_fingerprints: tuple[str, ...] = ()

    def match(self, host: str, addr: str, port: int | None) -> Any:
        if self._capture_only:
            return ((), (), ())
        return self._known.match(host, addr, port)

    def judge(self, host: str, addr: str, port: int | None, key: asyncssh.SSHKey) -> bool:
        """Called by asyncssh only when `key` matched no trusted key for this host."""
        self.presented = key
        self.presented_as = pattern(host, port)
        known_keys, ca_keys, *_ = self._known.match(host, addr, port)
        # one line can match both the name and the address: report each key once
        self.known_fingerprints = tuple(dict.fromkeys(fingerprint(k) for k in known_keys))
        if self._capture_only:
            return False
        new = f"{fingerprint(key)} ({key.get_algorithm()})"
        if known_keys or ca_keys:
            was = ", ".join(self.known_fingerprints) or "a certificate authority"
            self.verdict = HostKeyChanged(
                f"host key of {self._target} ({self.presented_as}) CHANGED: it presented {new}, "
                f"known_hosts has {was}; refusing to connect. If the change is expected, "
                f"remove the old entry and run `sshmon trust`",
                presented=fingerprint(key),
                known=self.known_fingerprints,
            )
            return False
        if self._tofu:
            record(self._own_file, self.presented_as, key)
            return True
        self.verdict = HostKeyUnknown(
            f"host key of {self._target} ({self.presented_as}) is not known: {new}; "
            f"run `sshmon trust` to accept it",
            presented=fingerprint(key),
        )
        return False


@dataclass(frozen=True)
class HostKeyOffer:
    """What `sshmon trust HOST` shows before recording: the key a host presents now.

    `pattern` is the known_hosts host field it would be recorded under; `known` holds the
    fingerprints already recorded for that host (empty for a new host; different from
    `fingerprint` when the key changed).
    """

    key_type: str
    fingerprint: str
    key: asyncssh.SSHKey
    pattern: str
    known: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.known) and self.fingerprint not in self.known


def record(path: Path, host_pattern: str, key: asyncssh.SSHKey) -> None:
    """Record `key` for `host_pattern` in sshmon's own known_hosts, replacing earlier lines
    for exactly that pattern in this file (the user's own files are never edited)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keep: list[str] = []
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.split(" ", 1)[0] != host_pattern:
                keep.append(line)
    public = key.export_public_key("openssh").decode().strip()
    keep.append(f"{host_pattern} {public}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(keep) + "\n")
    os.replace(tmp, path)  # atomic: a concurrent connect never reads half a file
