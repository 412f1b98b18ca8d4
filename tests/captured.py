"""What the recorded probe captures (tests/fixtures/local/probe-*.txt) hold."""

from __future__ import annotations

# Probe sections added after the captures were taken: each is tested on its own real
# capture instead (tests/fixtures/README.md). Re-capturing would change every golden file.
ADDED_AFTER_CAPTURE = frozenset(
    {"cgroups", "tcp_states", "timex", "systemd_failed", "net_class", "net_link"}
    | {"nf_conntrack_stat", "clocksource", "selinux", "net_ids"}
)
# Sections the captured VM has no source for: its kernel lacks /proc/pressure/irq
# (IRQ_TIME_ACCOUNTING) and the md driver; it has no hwmon chip, thermal zone, bond or
# SCSI disk with an I/O error counter.
ABSENT_ON_THE_VM = frozenset(
    {"pressure_irq", "mdstat", "bonding", "ioerr"}
    | {"hwmon", "hwmon_on_device", "hwmon_names", "hwmon_limits", "hwmon_devices"}
    | {"thermal", "thermal_types"}
)
