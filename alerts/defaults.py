"""Rules that ship enabled, so a fresh install pages about the things that matter.

Thresholds are in normalised units (percent of the filesystem, load per core) so one rule
fits a whole fleet. Each entry is plain data: `alerts.defaults.NAME` in the config file
patches it key by key, `false` disables it, a rule of your own with the same name replaces it.
"""

from __future__ import annotations

from typing import Any, Final

from alerts.config import AlertsConfig, Rule
from poller.yamlfile import ConfigError, Document, validate

# pseudo filesystems and container overlays are noise for space/inode rules
_FS_NOISE: Final = ["/run*", "/dev*", "/sys*", "/proc*", "/snap/*", "/var/lib/docker/*"]

SHIPPED: Final[tuple[dict[str, Any], ...]] = (
    {
        "name": "host_down",
        "poll": "down",
        "failures": 3,
        "severity": "critical",
        "description": "Polls failed (unreachable, timeout, probe failure) several times in a row",
    },
    {
        "name": "auth_failed",
        "poll": "auth_failed",
        "severity": "critical",
        "description": "The host refused our credentials",
    },
    {
        "name": "host_key_changed",
        "poll": "host_key_changed",
        "severity": "critical",
        "description": "The host presented a different SSH host key: not polled until re-trusted",
    },
    {
        "name": "stale_data",
        "poll": "stale",
        "severity": "warning",
        "description": "No poll result at all for `stale_after` (the poller is stuck on this host)",
    },
    {
        "name": "cpu_busy",
        "metric": "cpu_busy_percent",
        "reduce": "avg",
        "window": "5m",
        "warning": 90,
        "critical": 98,
        "hysteresis": 5,
        "for": "10m",
    },
    {
        "name": "iowait",
        "metric": "cpu_iowait_percent",
        "reduce": "avg",
        "window": "5m",
        "warning": 30,
        "hysteresis": 5,
        "for": "10m",
    },
    {
        "name": "load_per_core",
        "metric": "load5_per_core",
        "warning": 2,
        "critical": 4,
        "hysteresis": 0.25,
        "for": "15m",
    },
    {
        "name": "memory_used",
        "metric": "mem_used_percent",
        "warning": 90,
        "critical": 97,
        "hysteresis": 2,
        "for": "5m",
    },
    {
        "name": "swap_used",
        "metric": "swap_used_percent",
        "warning": 80,
        "hysteresis": 5,
        "for": "15m",
    },
    {
        "name": "memory_pressure",
        "metric": "psi_memory_some_avg10",
        "warning": 20,
        "critical": 50,
        "hysteresis": 5,
        "for": "5m",
        "description": "Share of time some task waited for memory (PSI, Linux 4.20+)",
    },
    {
        "name": "fs_used",
        "metric": "fs_used_percent",
        "warning": 85,
        "critical": 95,
        "hysteresis": 1,
        "for": "5m",
        "exclude_devices": _FS_NOISE,
    },
    {
        "name": "inodes_used",
        "metric": "fs_inodes_used_percent",
        "warning": 85,
        "critical": 95,
        "hysteresis": 1,
        "for": "5m",
        "exclude_devices": _FS_NOISE,
    },
    {
        "name": "fs_filling",
        "metric": "fs_avail_bytes",
        "reduce": "hours_to_zero",
        "window": "6h",
        "op": "<",
        "warning": 24,
        "critical": 4,
        "for": "30m",
        "exclude_devices": _FS_NOISE,
        "description": "A linear fit of free space over the last hours reaches zero soon (hours)",
    },
    {
        "name": "net_errors",
        "metric": "net_rx_errors_per_second",
        "reduce": "avg",
        "window": "5m",
        "warning": 1,
        "for": "10m",
        "exclude_devices": ["lo"],
    },
    {
        "name": "net_packet_loss",
        "metric": "net_packet_loss_percent",
        "reduce": "avg",
        "window": "5m",
        "warning": 1,
        "hysteresis": 0.5,
        "for": "10m",
        "exclude_devices": ["lo"],
        "description": "Drops and errors as a share of an interface's packets (a bad cable, "
        "a full ring buffer, a duplex mismatch)",
    },
    {
        # every 2nd slow round (systemd.FAILED.every); no point (never 0) where systemd is not
        # PID 1, so such hosts never fire
        "name": "systemd_unit_failed",
        "metric": "systemd_units_failed",
        "warning": 0,
        "description": "systemd units in the failed state; the host page names them",
    },
    {
        "name": "net_tx_errors",
        "metric": "net_tx_errors_per_second",
        "reduce": "avg",
        "window": "5m",
        "warning": 1,
        "for": "10m",
        "exclude_devices": ["lo"],
    },
    {
        "name": "raid_degraded",
        "metric": "md_degraded",
        "op": ">=",
        "critical": 1,
        "for": "1m",
        "description": "A software RAID array runs with members missing (/proc/mdstat "
        "[UU_]): one more failed disk may lose it",
    },
)

Loc = tuple[str | int, ...]


def merged_rules(doc: Document, config: AlertsConfig) -> list[tuple[Loc, Rule]]:
    """Shipped rules with the file's patches applied, then the file's own rules (which win)."""
    own = {r.name for r in config.rules}
    out: list[tuple[Loc, Rule]] = []
    switches = config.defaults
    problems: list[str] = []
    if isinstance(switches, dict):
        known = {d["name"] for d in SHIPPED}
        problems += [
            f"{doc.where(('alerts', 'defaults', n))}: alerts.defaults.{n}: no shipped "
            f"rule by that name (shipped: {', '.join(sorted(known))})"
            for n in switches
            if n not in known
        ]
    for shipped in SHIPPED if switches is not False else ():
        name = shipped["name"]
        patch = switches.get(name, True) if isinstance(switches, dict) else True
        if name in own or patch is False:
            continue
        loc: Loc = ("alerts", "defaults", name) if isinstance(patch, dict) else ("alerts",)
        data = {**shipped, **patch} if isinstance(patch, dict) else shipped
        try:
            out.append((loc, validate(doc, Rule, data, loc=loc)))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems)
    out += [(("alerts", "rules", i), rule) for i, rule in enumerate(config.rules)]
    return out
