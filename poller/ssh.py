"""The SSH rules, in one place (CONVENTIONS.md rule 12).

How sshmon connects: asyncssh, options from the inventory `Host`, everything the host leaves
unset read from ~/.ssh/config the way OpenSSH reads it (aliases/HostName, User, Port,
IdentityFile, ProxyJump); keys from files or ssh-agent; password/passphrase only from the
environment variable the inventory names; no agent or port forwarding, no pty; a keepalive
where polls are too rare to notice a dead peer as soon (`Connector._keepalive_s`); a timeout
on every connect. Host keys are always checked against sshmon's own known_hosts
plus the host's and the user's (poller/hostkeys.py).

Jump hosts (`jump:` in the inventory, or ProxyJump in ~/.ssh/config) are opened by us, not
by asyncssh, so they get the same host-key checking and options as any other host.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncssh

from poller.errors import AuthFailed, Unreachable, translate
from poller.hostkeys import HostKeyOffer, KeyCheck, KnownHostsCache, fingerprint, record
from poller.hostkeys import user_known_hosts as _user_known_hosts
from poller.inventory import Host

# aes128-gcm costs about 40% less CPU than chacha20 in asyncssh (DESIGN.md); the others stay
# acceptable so hosts that disable GCM still connect.
CIPHERS = (
    "aes128-gcm@openssh.com",
    "chacha20-poly1305@openssh.com",
    "aes256-gcm@openssh.com",
    "aes128-ctr",
    "aes192-ctr",
    "aes256-ctr",
)
# ~10 KB per poll of /proc text: compression would cost more CPU than the bytes it saves.
COMPRESSION = ("none",)
MSG_IGNORE = 2  # RFC 4253 §11.2: a message every implementation must accept and drop
_EMPTY_STRING = b"\x00\x00\x00\x00"  # the payload of asyncssh's own MSG_IGNORE
MAX_JUMPS = 4  # a ProxyJump chain longer than this is almost surely a loop in the config


@dataclass(frozen=True)
class SshSettings:
    """Process-wide SSH settings.

    `known_hosts`: sshmon's own file (written by `sshmon trust` and trust_on_first_use);
    `ssh_config`: client config files (None: ~/.ssh/config when it exists);
    `user_known_hosts`: None means ~/.ssh/known_hosts;
    `peers`: inventory hosts by name, so `jump: NAME` can use another host's settings;
    `max_unauthenticated`: connects in flight per target sshd (sshd's MaxStartups is 10).
    """

    known_hosts: Path
    ssh_config: tuple[Path, ...] | None = None
    user_known_hosts: tuple[Path, ...] | None = None
    peers: Mapping[str, Host] = field(default_factory=dict)
    max_unauthenticated: int = 10
    keepalive_interval_s: float = 15.0
    keepalive_count_max: int = 3

    def config_files(self) -> list[str]:
        paths = self.ssh_config
        if paths is None:
            paths = tuple(p for p in (Path("~/.ssh/config").expanduser(),) if p.is_file())
        return [str(p) for p in paths]

    def key_files(self, host: Host) -> list[Path]:
        user = self.user_known_hosts
        if user is None:
            user = _user_known_hosts()
        extra = (host.known_hosts,) if host.known_hosts else ()
        return [self.known_hosts, *extra, *user]


class _Client(asyncssh.SSHClient):
    """Routes asyncssh's "key not among the trusted ones" question to our KeyCheck."""

    def __init__(self, check: KeyCheck) -> None:
        self._check = check

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        return self._check.judge(host, addr, port, key)


def send_no_ignore_padding() -> None:
    """Stop asyncssh's client connections sending an SSH_MSG_IGNORE before every packet
    when the cipher is not CBC. Idempotent; called by every Connector.

    asyncssh (2.24, `SSHConnection.send_packet`) puts an empty MSG_IGNORE in front of every
    encrypted packet it sends, so each probe line went out as two packets: two encryptions,
    two `send()` calls, two packets for the target to decrypt. The ignore packets are the
    countermeasure RFC 4251 §9.3.1 describes for CBC mode's chained IVs; the AEAD and CTR
    ciphers sshmon offers (CIPHERS: no CBC at all) do not need them, and OpenSSH does not
    send them. No option turns them off, hence the wrapper; a CBC cipher negotiated anyway
    keeps them. Measured on loopback: 0.90 -> 0.78 ms of poller CPU per poll at 1,000
    simulated hosts, no change at 5,000 (where waking the simulator costs less), and the
    simulator's CPU -9 % (bench/README.md, issue 15, h-c15e)."""
    send = asyncssh.SSHClientConnection.send_packet
    if getattr(send, "skips_ignore_padding", False):
        return

    def send_packet(
        self: asyncssh.SSHClientConnection, pkttype: int, *args: bytes, **kw: Any
    ) -> None:
        if pkttype == MSG_IGNORE and args == (_EMPTY_STRING,):
            cipher = self.get_extra_info("send_cipher", "")
            if not (isinstance(cipher, str) and cipher.endswith("-cbc")):
                return
        send(self, pkttype, *args, **kw)

    send_packet.skips_ignore_padding = True  # type: ignore[attr-defined]
    asyncssh.SSHClientConnection.send_packet = send_packet  # type: ignore[method-assign,assignment]


class Connector:
    """Opens verified SSH connections, throttled per target sshd."""

    def __init__(self, settings: SshSettings) -> None:
        send_no_ignore_padding()
        self.settings = settings
        self._known = KnownHostsCache()
        self._throttles: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._watchers: set[asyncio.Future[None]] = set()
        # host name -> the address and port its last connect went to, after ~/.ssh/config
        # (HostName, Port): an error then says where it tried, not only which entry
        self._endpoints: dict[str, tuple[str, int]] = {}

    def update_peers(self, hosts: Iterable[Host]) -> None:
        """After an inventory reload: `jump: NAME` resolves against the new host set."""
        self.settings = replace(self.settings, peers={h.name: h for h in hosts})

    def update_budget(self, max_unauthenticated: int) -> None:
        """A new share of the per-target connect budget (`sshmon run --workers` resized on a
        reload). Connects in flight finish under the semaphores they hold; new ones take
        the new ones, so for those few seconds a target may see both budgets' worth."""
        if max_unauthenticated != self.settings.max_unauthenticated:
            self.settings = replace(self.settings, max_unauthenticated=max_unauthenticated)
            self._throttles.clear()

    async def connect(self, host: Host) -> asyncssh.SSHClientConnection:
        """Connect and authenticate, or raise a PollError saying which failure it was."""
        check = self._key_check(host)
        try:
            return await self._connect(host, check, depth=0)
        except Exception as exc:
            raise translate(exc, self.where(host), check.verdict) from exc

    async def fetch_host_key(self, host: Host) -> HostKeyOffer:
        """The key `host` presents now, and what is already recorded for it."""
        check = self._key_check(host, capture_only=True)
        try:
            conn = await self._connect(host, check, depth=0)
            conn.close()  # unreachable in practice: capture_only trusts no key
        except Exception as exc:
            if check.presented is None:
                raise translate(exc, self.where(host), check.verdict) from exc
        key = check.presented
        if key is None:
            raise Unreachable(f"{host.name} presented no host key")
        return HostKeyOffer(
            key_type=key.get_algorithm(),
            fingerprint=fingerprint(key),
            key=key,
            pattern=check.presented_as,
            known=check.known_fingerprints,
            conflicts=check.conflicts,
            reached_at=check.reached_at,
        )

    def where(self, host: Host) -> str:
        """`web-1 (10.0.0.5:22)`: the entry and the address and port it was reached at."""
        address, port = self._endpoints.get(host.name, (host.address, host.port or 22))
        return f"{host.name} ({f'[{address}]' if ':' in address else address}:{port})"

    def _key_check(self, host: Host, *, capture_only: bool = False) -> KeyCheck:
        return KeyCheck(
            self._known.load(self.settings.key_files(host)),
            own_file=self.settings.known_hosts,
            target=host.name,
            trust_on_first_use=host.trust_on_first_use,
            capture_only=capture_only,
        )

    async def _connect(
        self, host: Host, check: KeyCheck, depth: int
    ) -> asyncssh.SSHClientConnection:
        options = await asyncssh.SSHClientConnectionOptions.construct(
            None, host=host.address, tunnel=(), **self._options(host, check)
        )
        self._endpoints[host.name] = (str(options.host), int(options.port))
        jump = host.jump or _config_jump(options.tunnel)
        tunnel = await self._open_jumps(jump, depth) if jump else None
        try:
            async with self._throttle(options.host, options.port):
                conn = await _connect_cancellable(
                    asyncssh.connect(
                        host.address, options=options, config=None, tunnel=tunnel or ()
                    ),
                    host.connect_timeout,
                )
            if tunnel is not None:
                self._close_with(conn, tunnel)
            return conn
        except BaseException:
            if tunnel is not None:
                tunnel.close()
            raise

    async def _open_jumps(self, spec: str, depth: int) -> asyncssh.SSHClientConnection:
        """Open a `a,b,c` jump chain, each hop verified like any host."""
        conn: asyncssh.SSHClientConnection | None = None
        for hop in spec.split(","):
            if depth + 1 > MAX_JUMPS:
                raise Unreachable(f"jump chain deeper than {MAX_JUMPS} hops (a loop?)")
            jump_host = self._jump_host(hop.strip())
            check = self._key_check(jump_host)
            try:
                # a jump host has its own jump only when it is the first hop
                host = jump_host if conn is None else jump_host.model_copy(update={"jump": None})
                conn = await self._connect_via(host, check, conn, depth + 1)
            except Exception as exc:
                if conn is not None:
                    conn.close()
                raise translate(exc, f"jump host {self.where(jump_host)}", check.verdict) from exc
        assert conn is not None  # spec.split(",") yields at least one hop
        return conn

    async def _connect_via(
        self,
        host: Host,
        check: KeyCheck,
        via: asyncssh.SSHClientConnection | None,
        depth: int,
    ) -> asyncssh.SSHClientConnection:
        if via is None:
            return await self._connect(host, check, depth)
        options = await asyncssh.SSHClientConnectionOptions.construct(
            None, host=host.address, tunnel=via, **self._options(host, check)
        )
        conn = await _connect_cancellable(
            asyncssh.connect(host.address, options=options, config=None, tunnel=via),
            host.connect_timeout,
        )
        self._close_with(conn, via)
        return conn

    def _close_with(
        self, conn: asyncssh.SSHClientConnection, tunnel: asyncssh.SSHClientConnection
    ) -> None:
        """Close the jump connection when the one through it closes.

        asyncssh closes tunnels it opened from a string, but not a connection object handed
        to it, so without this every reconnect of a host behind a jump host leaked one
        connection to the jump host."""

        async def watch() -> None:
            try:
                await conn.wait_closed()
            finally:
                tunnel.close()

        task = asyncio.ensure_future(watch())
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)

    def _jump_host(self, hop: str) -> Host:
        return jump_host(hop, self.settings.peers)

    def _options(self, host: Host, check: KeyCheck) -> dict[str, Any]:
        config = self.settings.config_files()
        kw: dict[str, Any] = {
            "config": config or None,
            "known_hosts": check.match,
            "client_factory": lambda: _Client(check),
            "encryption_algs": list(CIPHERS),
            "compression_algs": list(COMPRESSION),
            "agent_forwarding": False,
            "x11_forwarding": False,
            "keepalive_interval": self._keepalive_s(host),
            "keepalive_count_max": self.settings.keepalive_count_max,
            # None: asyncssh would wrap the connect in asyncio.wait_for, which on 3.11 can
            # swallow a cancel (see _connect_cancellable); our own timeout covers it all
            "connect_timeout": None,
            "login_timeout": host.connect_timeout,
        }
        if host.port is not None:
            kw["port"] = host.port
        if host.user is not None:
            kw["username"] = host.user
        if host.identity_files:
            kw["client_keys"] = [str(p) for p in host.identity_files]
        if host.password_env:
            kw["password"] = _env(host.password_env)
        if host.passphrase_env:
            kw["passphrase"] = _env(host.passphrase_env)
        return kw

    def _keepalive_s(self, host: Host) -> float:
        """asyncssh's keepalive, or 0 (off) where the polls find a dead peer no later than
        the keepalive would: the next poll fails within `interval + timeout` of the last
        answer, the keepalive after `keepalive_interval x keepalive_count_max` unanswered
        (45 s by default), and polls that often also keep a NAT entry alive. asyncssh re-arms
        its timer on every packet received (a cancelled handle and a new one in the loop's
        heap, 2 to 3 per poll), which at 5,000 hosts was a heap of ~20,000 handles churned
        1,500 times a second for a timer that never fires; and between polls 30 s apart it
        did fire, once per poll: a request and its answer per host-poll, as many SSH
        messages again as the poll's own (issue 15)."""
        interval = self.settings.keepalive_interval_s
        noticed_by_polls = host.interval + host.timeout
        return 0.0 if noticed_by_polls <= interval * self.settings.keepalive_count_max else interval

    def _throttle(self, address: str, port: int) -> asyncio.Semaphore:
        key = (address, port)
        sem = self._throttles.get(key)
        if sem is None:
            sem = self._throttles[key] = asyncio.Semaphore(self.settings.max_unauthenticated)
        return sem


async def _connect_cancellable(
    connect: Awaitable[asyncssh.SSHClientConnection], timeout: float
) -> asyncssh.SSHClientConnection:
    """`connect` under `timeout` (TCP, key exchange and auth alike), where a cancel wins.

    Not `asyncio.wait_for`: on Python 3.11 it returns the result instead of raising when
    the cancel lands in the iteration its inner task finished (CPython gh-86296), and the
    host task cancelled that way went on polling forever after SIGTERM or a reload. The
    check afterwards catches the same swallow anywhere below us: a cancel requested and
    not withdrawn is still counted by `cancelling()`, so the connection that completed
    anyway is closed and the cancel raised after all.
    """
    task = asyncio.current_task()
    pending = task.cancelling() if task is not None else 0
    async with asyncio.timeout(timeout):
        conn = await connect
    if task is not None and task.cancelling() > pending:
        conn.abort()
        raise asyncio.CancelledError
    return conn


def jump_host(hop: str, peers: Mapping[str, Host]) -> Host:
    """One hop of a jump spec: an inventory host by name, else `[user@]host[:port]`
    (named by the hop itself, which is what `sshmon trust HOP` takes)."""
    peer = peers.get(hop)
    if peer is not None:
        return peer
    user, _, rest = hop.rpartition("@")
    address, port = rest, None
    if rest.count(":") == 1:  # host:port (a bare IPv6 address has several colons)
        address, port_text = rest.split(":")
        if not port_text.isdigit():
            raise Unreachable(f"jump host {hop!r}: port must be a number")
        port = int(port_text)
    return Host(name=hop, address=address.strip("[]"), port=port, user=user or None)


def _config_jump(tunnel: object) -> str | None:
    """ProxyJump from ~/.ssh/config ('none' switches an inherited one off, as in OpenSSH)."""
    if isinstance(tunnel, str) and tunnel and tunnel.lower() != "none":
        return tunnel
    return None


def _env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise AuthFailed(f"environment variable {name} is not set")
    return value


async def fetch_host_key(
    host: Host, known_hosts_path: Path, *, settings: SshSettings | None = None
) -> HostKeyOffer:
    """The key `host` presents now and the fingerprints already recorded for it."""
    settings = settings or SshSettings(known_hosts=known_hosts_path)
    return await Connector(settings).fetch_host_key(host)


async def trust(
    host: Host,
    known_hosts_path: Path,
    *,
    offer: HostKeyOffer | None = None,
    settings: SshSettings | None = None,
) -> HostKeyOffer:
    """Record the key `host` presents in sshmon's known_hosts (`sshmon trust HOST`).

    Pass the `offer` the user was shown (from `fetch_host_key`) so exactly that key is
    recorded, not whatever the host presents a moment later.
    """
    if offer is None:
        offer = await fetch_host_key(host, known_hosts_path, settings=settings)
    record(known_hosts_path, offer.pattern, offer.key, reached_at=offer.reached_at)
    return offer
