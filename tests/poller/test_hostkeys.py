"""sshmon's own known_hosts: recording replaces a host's line, readers see changes."""

from __future__ import annotations

from pathlib import Path

import asyncssh

from poller.hostkeys import KnownHostsCache, pattern, record


def _key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


def test_pattern_is_openssh_style() -> None:
    assert pattern("web-1", 22) == "web-1"
    assert pattern("web-1", None) == "web-1"
    assert pattern("127.0.0.1", 2222) == "[127.0.0.1]:2222"


def test_record_replaces_only_that_hosts_line(tmp_path: Path) -> None:
    path = tmp_path / "sshmon" / "known_hosts"
    first, other, second = _key(), _key(), _key()
    record(path, "[h]:2222", first)
    record(path, "h", other)  # same name, other port: a different entry
    record(path, "[h]:2222", second)
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("h ssh-ed25519 ")
    assert lines[1] == "[h]:2222 " + second.export_public_key().decode().strip()


def test_cache_rereads_a_file_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    cache = KnownHostsCache()
    assert cache.load([path]).match("h", "10.0.0.1", 2222)[0] == []  # no file yet
    key = _key()
    record(path, "[h]:2222", key)
    keys = cache.load([path]).match("h", "10.0.0.1", 2222)[0]
    assert [k.export_public_key() for k in keys] == [key.export_public_key()]
    assert cache.load([path]) is cache.load([path])  # unchanged: parsed once
