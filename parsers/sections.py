"""Which parser reads which probe section, and parsing one poll's sections in isolation.

Every parser cuts lines with `text.split("\n")`, never `str.splitlines()`: the kernel ends
lines with \n only, while splitlines() also cuts at \x1c-\x1e, \x85 and \u2028, which a
mount point, an interface alias or an os-release value from a target may contain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from parsers import (
    cmd_df,
    cmd_uname,
    etc_os_release,
    proc_cpuinfo,
    proc_diskstats,
    proc_loadavg,
    proc_meminfo,
    proc_mounts,
    proc_net_dev,
    proc_net_netstat,
    proc_net_snmp,
    proc_net_sockstat,
    proc_pressure,
    proc_stat,
    proc_sys_fs_file_nr,
    proc_uptime,
    proc_vmstat,
)
from parsers.errors import ParseError
from parsers.frame import Section

# Keys are the section names of poller/probe.py (FAST_FILES, SLOW_FILES, SLOW_COMMANDS).
PARSERS: Final[dict[str, Callable[[str], object]]] = {
    "stat": proc_stat.parse,
    "meminfo": proc_meminfo.parse,
    "loadavg": proc_loadavg.parse,
    "uptime": proc_uptime.parse,
    "net_dev": proc_net_dev.parse,
    "diskstats": proc_diskstats.parse,
    "vmstat": proc_vmstat.parse,
    "net_snmp": proc_net_snmp.parse,
    "net_netstat": proc_net_netstat.parse,
    "net_sockstat": proc_net_sockstat.parse,
    "file_nr": proc_sys_fs_file_nr.parse,
    "pressure_cpu": proc_pressure.parse,
    "pressure_memory": proc_pressure.parse,
    "pressure_io": proc_pressure.parse,
    "os_release": etc_os_release.parse,
    "mounts": proc_mounts.parse,
    "df": cmd_df.parse,
    "df_inodes": cmd_df.parse,
    "uname": cmd_uname.parse,
    "cpuinfo": proc_cpuinfo.parse,
}


@dataclass(frozen=True, slots=True)
class ParsedPoll:
    """Readings by section name, and the sections that failed with the reason why (a
    section that parsed but left rows out is in both).

    A section in neither dict was unavailable on the host (no such file, no PSI before
    4.20, a command that printed nothing and failed): quiet, not an error.
    """

    readings: dict[str, object]
    failures: dict[str, str]


def parse_all(sections: Mapping[str, Section]) -> ParsedPoll:
    readings: dict[str, object] = {}
    failures: dict[str, str] = {}
    for name, section in sections.items():
        parser = PARSERS.get(name)
        if parser is None:
            continue  # a section this version does not read (newer probe)
        if section.rc and not section.text.strip():
            # `cat` of a missing file, a missing command, grep that matched nothing.
            # A failed command that did print (df exits 1 when one mount fails)
            # is parsed like any other output.
            continue
        try:
            readings[name] = reading = parser(section.text)
        except ParseError as exc:
            failures[name] = str(exc)
            continue
        if isinstance(reading, cmd_df.Df) and reading.skipped:
            # the reading stays; the section still reports what it left out, and why
            total = len(reading.rows) + len(reading.skipped)
            failures[name] = f"kept {len(reading.rows)} of {total} rows; " + "; ".join(
                reading.skipped
            )
    return ParsedPoll(readings, failures)
