"""sshmon's own known_hosts: recording replaces a host's line, readers see changes; a key
vouches only for the name it was recorded under."""

from __future__ import annotations

from pathlib import Path

import asyncssh

from poller.errors import HostKeyChanged
from poller.hostkeys import KeyCheck, KnownHostsCache, fingerprint, pattern, record


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


def _line(host_field: str, key: asyncssh.SSHKey) -> str:
    return f"{host_field} {key.export_public_key().decode().strip()}\n"


def test_a_key_recorded_for_the_address_does_not_vouch_for_the_name(tmp_path: Path) -> None:
    """What older sshmon wrote after `trust other`: db's old key under its name, the new key
    under the address db also resolves to. The new key is a changed key for db."""
    old, new = _key(), _key()
    known = asyncssh.import_known_hosts(
        _line("[localhost]:2222", old) + _line("[127.0.0.1]:2222", new)
    )
    check = KeyCheck(known, own_file=tmp_path / "own", target="db")
    trusted, *_ = check.match("localhost", "127.0.0.1", 2222)
    assert trusted == []  # the two records contradict each other: neither is trusted
    assert check.judge("localhost", "127.0.0.1", 2222, new) is False
    assert isinstance(check.verdict, HostKeyChanged)
    assert fingerprint(old) in check.verdict.reason
    assert "sshmon trust db --replace" in check.verdict.reason


def test_a_contradicting_address_record_refuses_even_the_names_own_key(tmp_path: Path) -> None:
    mine, theirs = _key(), _key()
    known = asyncssh.import_known_hosts(_line("db", mine) + _line("10.0.0.5", theirs))
    check = KeyCheck(known, own_file=tmp_path / "own", target="db")
    assert check.match("db", "10.0.0.5", None)[0] == []
    assert check.judge("db", "10.0.0.5", 22, mine) is False
    assert isinstance(check.verdict, HostKeyChanged)
    assert f"{fingerprint(theirs)} for 10.0.0.5" in check.verdict.reason


def test_keys_of_other_types_at_the_address_do_not_contradict(tmp_path: Path) -> None:
    mine, theirs = _key(), asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    known = asyncssh.import_known_hosts(_line("db", mine) + _line("10.0.0.5", theirs))
    check = KeyCheck(known, own_file=tmp_path / "own", target="db")
    assert [k.public_data for k in check.match("db", "10.0.0.5", None)[0]] == [mine.public_data]


def test_trusting_a_name_notes_the_address_for_later_trusts(tmp_path: Path) -> None:
    own = tmp_path / "known_hosts"
    old, new = _key(), _key()
    record(own, "[localhost]:2222", old, reached_at="[127.0.0.1]:2222")
    assert own.read_text().endswith(" sshmon-address=[127.0.0.1]:2222\n")
    cache = KnownHostsCache()
    # the note vouches for nothing: 127.0.0.1 is not trusted through db's line
    check = KeyCheck(cache.load([own]), own_file=own, target="other", capture_only=True)
    assert check.match("127.0.0.1", "127.0.0.1", 2222)[0] == ()
    check.judge("127.0.0.1", "127.0.0.1", 2222, new)
    assert check.conflicts == (
        f"{fingerprint(old)} for [localhost]:2222 (reached at [127.0.0.1]:2222)",
    )
    # the same key as db's is no conflict: two names for one machine
    check.judge("127.0.0.1", "127.0.0.1", 2222, old)
    assert check.conflicts == ()


def test_trust_on_first_use_does_not_record_over_another_entrys_key(tmp_path: Path) -> None:
    own = tmp_path / "known_hosts"
    theirs, presented = _key(), _key()
    record(own, "[localhost]:2222", theirs, reached_at="[127.0.0.1]:2222")
    before = own.read_text()
    check = KeyCheck(
        KnownHostsCache().load([own]), own_file=own, target="other", trust_on_first_use=True
    )
    assert check.judge("127.0.0.1", "127.0.0.1", 2222, presented) is False
    assert isinstance(check.verdict, HostKeyChanged)
    assert own.read_text() == before
