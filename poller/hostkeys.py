"""Host-key checking: sshmon's own known_hosts file plus the host's and the user's.

asyncssh decides nothing here on its own. We hand it a matcher over our files
(`known_hosts=KeyCheck.match`); when the presented key is not among the matched ones,
asyncssh asks `KeyCheck.judge`, which tells an unknown host (never accepted silently,
unless the host says `trust_on_first_use`) from a changed key (always refused, both
fingerprints kept for the report).

A key vouches only for the name it was recorded under. asyncssh on its own also accepts a
key recorded for the peer's IP address, so a key trusted for inventory entry `other`
(`[127.0.0.1]:P`) would vouch for entry `db` (`[localhost]:P`) once `db` resolves there:
whoever can redirect one monitored name could then pose as another host and collect its
password. So (like OpenSSH with CheckHostIP and strict checking) keys recorded under the
address only ever *contradict*: any different key of the same type recorded for the name,
the address, or (`sshmon-address=` note on our own lines) another entry that was reached at
that address, makes the presented key a changed key.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh

from poller.errors import HostKeyChanged, HostKeyUnknown, PollError

DEFAULT_SSH_PORT = 22
# Comment written on our own known_hosts lines: the address the entry was reached at when
# trusted, so trusting another entry at that address with a different key is caught.
ADDRESS_NOTE = "sshmon-address="


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


@dataclass(frozen=True)
class Recorded:
    """What the known_hosts files say about one connect: keys bound to the name it was made
    to, and keys recorded elsewhere for the same endpoint (its address; other entries)."""

    name_keys: tuple[asyncssh.SSHKey, ...]
    ca_keys: tuple[asyncssh.SSHKey, ...]
    revoked: tuple[asyncssh.SSHKey, ...]
    # (where it is recorded, key): lines for the peer address
    elsewhere: tuple[tuple[str, asyncssh.SSHKey], ...]
    # (where, key): our notes of other entries that were reached at the peer address
    noted: tuple[tuple[str, asyncssh.SSHKey], ...] = ()

    def trusted(self) -> list[asyncssh.SSHKey]:
        """Name keys nothing recorded elsewhere contradicts. Several keys for the name
        itself stay acceptable (user's file has the old one, `trust --replace` wrote the new
        one to ours), as in OpenSSH."""
        return [k for k in self.name_keys if not _differing(k, self.elsewhere)]

    def conflicts(self, where: str, key: asyncssh.SSHKey) -> list[tuple[str, asyncssh.SSHKey]]:
        """Recorded keys of `key`'s type that differ from it, with where each is recorded.

        Once the name itself holds `key` (an operator's `trust --replace`), other entries'
        notes no longer count: they are those entries' business."""
        found = _differing(key, self.elsewhere)
        if not _same(key, self.name_keys):
            named = [(where, k) for k in self.name_keys]
            found = _differing(key, named) + found + _differing(key, self.noted)
        return found


def _same(key: asyncssh.SSHKey, keys: Sequence[asyncssh.SSHKey]) -> bool:
    return any(k.public_data == key.public_data for k in keys)


def _differing(
    key: asyncssh.SSHKey, keys: Sequence[tuple[str, asyncssh.SSHKey]]
) -> list[tuple[str, asyncssh.SSHKey]]:
    return [
        (w, k)
        for w, k in keys
        if k.get_algorithm() == key.get_algorithm() and k.public_data != key.public_data
    ]


def recorded(
    known: asyncssh.SSHKnownHosts,
    host: str,
    addr: str,
    port: int | None,
    *,
    own_file: Path | None = None,
) -> Recorded:
    """Look `host` up by name only; the peer address `addr` only for contradicting keys.

    With `own_file`, also the notes of other entries reached at `addr` (read from disk:
    only for the rare key that is not trusted, never on every connect)."""
    port = None if port == DEFAULT_SSH_PORT else port
    # an empty address makes asyncssh match the name alone (hashed entries included)
    name_keys, ca_keys, revoked, *_ = known.match(host, "", port)
    elsewhere: list[tuple[str, asyncssh.SSHKey]] = []
    if addr and addr != host:
        by_addr, _, revoked_by_addr, *_ = known.match(addr, addr, port)
        elsewhere += [(pattern(addr, port), k) for k in by_addr]
        revoked = [*revoked, *revoked_by_addr]
    noted: list[tuple[str, asyncssh.SSHKey]] = []
    if addr and own_file is not None:
        at, mine = pattern(addr, port), pattern(host, port)
        noted = [
            (f"{where} (reached at {at})", k)
            for where, k in noted_at(own_file, at)
            if where != mine
        ]
    return Recorded(
        tuple(name_keys), tuple(ca_keys), tuple(revoked), tuple(elsewhere), tuple(noted)
    )


def noted_at(path: Path, address_pattern: str) -> list[tuple[str, asyncssh.SSHKey]]:
    """(host field, key) of our own lines noted as reached at `address_pattern`."""
    if not path.is_file():
        return []
    note = ADDRESS_NOTE + address_pattern
    found = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) > 3 and note in fields[3:] and not line.startswith(("#", "@")):
            try:
                found.append((fields[0], asyncssh.import_public_key(" ".join(fields[1:3]))))
            except (asyncssh.KeyImportError, ValueError):
                continue  # a line asyncssh would skip too; it vouches for nothing
    return found


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
        self.reached_at: str = ""
        self.known_fingerprints: tuple[str, ...] = ()
        self.conflicts: tuple[str, ...] = ()

    def match(self, host: str, addr: str, port: int | None) -> Any:
        if self._capture_only:
            return ((), (), ())
        found = recorded(self._known, host, addr, port)
        return (found.trusted(), list(found.ca_keys), list(found.revoked))

    def judge(self, host: str, addr: str, port: int | None, key: asyncssh.SSHKey) -> bool:
        """Called by asyncssh only when `key` matched no trusted key for this host."""
        self.presented = key
        self.presented_as = pattern(host, port)
        self.reached_at = pattern(addr, port) if addr and addr != host else ""
        found = recorded(self._known, host, addr, port, own_file=self._own_file)
        # one line can list the name twice (name and [name]:port): report each key once
        self.known_fingerprints = tuple(dict.fromkeys(fingerprint(k) for k in found.name_keys))
        conflicts = found.conflicts(self.presented_as, key)
        self.conflicts = tuple(dict.fromkeys(f"{fingerprint(k)} for {w}" for w, k in conflicts))
        if self._capture_only:
            return False
        new = f"{fingerprint(key)} ({key.get_algorithm()})"
        if found.name_keys or found.ca_keys or conflicts:
            self.verdict = HostKeyChanged(
                self._changed_reason(new, _same(key, found.name_keys)),
                presented=fingerprint(key),
                known=tuple(dict.fromkeys(fingerprint(k) for _, k in conflicts)),
            )
            return False
        if self._tofu:
            record(self._own_file, self.presented_as, key, reached_at=self.reached_at)
            return True
        self.verdict = HostKeyUnknown(
            f"host key of {self._target} ({self.presented_as}) is not known: {new}; "
            f"run `{trust_command(self._target)}` to accept it",
            presented=fingerprint(key),
        )
        return False

    def _changed_reason(self, new: str, recorded_for_name: bool) -> str:
        was = ", ".join(self.conflicts) or "a certificate authority"
        head = f"host key of {self._target} ({self.presented_as}) CHANGED: it presented {new}"
        if recorded_for_name:
            # the entry's own record agrees: the contradiction is another entry's line
            return (
                f"{head}, the key recorded for it, but known_hosts also has {was}; refusing "
                "to connect (a key trusted for one entry never vouches for another). Verify "
                "which is right, then re-trust or remove the stale entry"
            )
        return (
            f"{head}, known_hosts has {was}; refusing to connect. If the change is expected, "
            f"verify the new key, then run `{trust_command(self._target, replace=True)}`"
        )


def trust_command(target: str, *, replace: bool = False) -> str:
    """The exact command that trusts `target` (a jump spec may need shell quoting)."""
    return f"sshmon trust {shlex.quote(target)}" + (" --replace" if replace else "")


@dataclass(frozen=True)
class HostKeyOffer:
    """What `sshmon trust HOST` shows before recording: the key a host presents now.

    `pattern` is the known_hosts host field it would be recorded under; `known` holds the
    fingerprints already recorded for that host (empty for a new host; different from
    `fingerprint` when the key changed); `conflicts` names every different key of the same
    type recorded for this name, its address or another entry reached there; `reached_at`
    is the peer address pattern (empty when the name is the address).
    """

    key_type: str
    fingerprint: str
    key: asyncssh.SSHKey
    pattern: str
    known: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    reached_at: str = ""

    @property
    def trusted(self) -> bool:
        return self.fingerprint in self.known and not self.conflicts

    @property
    def changed(self) -> bool:
        return bool(self.conflicts) or (bool(self.known) and self.fingerprint not in self.known)


def record(path: Path, host_pattern: str, key: asyncssh.SSHKey, *, reached_at: str = "") -> None:
    """Record `key` for `host_pattern` in sshmon's own known_hosts, replacing earlier lines
    for exactly that pattern in this file (the user's own files are never edited).

    `reached_at` (the peer address pattern) is kept as a comment: it vouches for nothing,
    but lets a later `trust` of another entry at that address see this key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keep: list[str] = []
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.split(" ", 1)[0] != host_pattern:
                keep.append(line)
    # the presented key carries no comment; ours is the address note (or nothing)
    algorithm, data = key.export_public_key("openssh").decode().split()[:2]
    note = f" {ADDRESS_NOTE}{reached_at}" if reached_at else ""
    keep.append(f"{host_pattern} {algorithm} {data}{note}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(keep) + "\n")
    os.replace(tmp, path)  # atomic: a concurrent connect never reads half a file
