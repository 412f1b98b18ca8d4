"""The unit of stored data: one value of one metric of one host at one time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Point(NamedTuple):
    """One derived sample, as written to the store.

    `dev` is the interface, mount point or block device the value belongs to,
    '' for host-wide metrics; `ts` is seconds since the epoch (UTC).
    """

    metric: str
    host: str
    dev: str
    ts: float
    value: float


class HostState(StrEnum):
    """Outcome of one poll of one host, as `sshmon check` prints it and the store keeps it."""

    OK = "ok"
    UNREACHABLE = "unreachable"
    AUTH_FAILED = "auth_failed"
    HOST_KEY_UNKNOWN = "host_key_unknown"
    HOST_KEY_CHANGED = "host_key_changed"
    TIMEOUT = "timeout"
    PROBE_FAILED = "probe_failed"


class PollStatus(NamedTuple):
    """One poll's result for one host: stored per poll, drives `up` and host-down alerts.

    `reason` is words for people ('' when ok); `duration_s` is the whole poll, connect
    included when one was needed; `failed_sections` names sections that were skipped
    with a parse error while the rest of the poll landed.
    """

    host: str
    ts: float
    state: HostState
    reason: str
    duration_s: float
    failed_sections: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostInfo:
    """What a host is, refreshed by the slow sections; None where the target did not say."""

    host: str
    ts: float
    os_name: str | None = None
    kernel: str | None = None
    arch: str | None = None
    cpus: int | None = None
    cpu_model: str | None = None
    memory_bytes: float | None = None
    boot_time: float | None = None
    # failed systemd units, the first few (parsers/cmd_systemctl_failed.py caps them);
    # None where systemd did not answer, () where it said none failed
    failed_units: tuple[str, ...] | None = None
