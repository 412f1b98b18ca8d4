"""selinux: whether SELinux is on, and its configured and current mode, as node_exporter
1.5's selinux collector reports them (node_selinux_enabled, node_selinux_config_mode,
node_selinux_current_mode), from files only: the mount table, selinuxfs's `enforce`,
/etc/selinux/config and the reader's own label (parsers/sys_fs_selinux.py says how
node_exporter decides "enabled" from them, and why a host without SELinux exports 0).

Slow round, every 5th one (10 min at the default 10 s x 12), in the same `head` as the
clock sources (base.RARE_FILES_EVERY): the configured mode changes with an edit and a
reboot, the current one with `setenforce`, an operator's act worth seeing within minutes
but not worth a read at every slow round. The poller keeps the last reading in between,
so /metrics goes on exporting it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import sys_fs_selinux
from parsers.exposition import Sample, node_sample
from parsers.sys_fs_selinux import CONFIG, ENFORCE, LABEL, MOUNTS, Selinux
from poller.collectors.base import RARE_FILES_EVERY, Collector, Readings, Source, reading

SELINUX: Final = Source(
    "selinux",
    sys_fs_selinux.parse,
    # plain paths are globs matching themselves (base.check_glob): one section, one head
    globs=(MOUNTS, *ENFORCE, CONFIG, LABEL),
    slow=True,
    every=RARE_FILES_EVERY,
)
_ENABLED_HELP: Final = "SELinux is enabled, 1 is true, 0 is false"
_CONFIG_HELP: Final = "Configured SELinux enforcement mode"
_CURRENT_HELP: Final = "Current SELinux enforcement mode"


def samples(r: Readings) -> Iterator[Sample]:
    se = reading(r, "selinux", Selinux)
    if se is None:
        return
    yield node_sample("selinux_enabled", 1 if se.enabled else 0, "gauge", _ENABLED_HELP)
    if se.config_mode is not None:
        yield node_sample("selinux_config_mode", se.config_mode, "gauge", _CONFIG_HELP)
    if se.current_mode is not None:
        yield node_sample("selinux_current_mode", se.current_mode, "gauge", _CURRENT_HELP)


COLLECTOR: Final = Collector(
    "selinux",
    "SELinux enabled, configured and current mode (mount table, selinuxfs, "
    "/etc/selinux/config; slow round)",
    (SELINUX,),
    samples=samples,
)
