"""A simulated host's probe answer: a recorded real capture with its moving numbers replaced.

The capture (demo/captures/, a real Debian 12 VM's answer to the probe) keeps every line
the simulation has no reason to change (vmstat, netstat, os-release, mounts): the parsers
read real kernel text, with real quirks, and only the numbers a load would move are
rewritten from a `Snapshot`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

from demo.fleet import IDLE, Snapshot
from parsers.frame import glob_regex
from poller.probe import MARK, SLOW_GLOBS

_SECTION: Final = re.compile(
    rf"^{MARK} \S+ begin (\S+)\n(.*?)\n{MARK} \S+ end \1 (\d+)$", re.M | re.S
)
_FILE: Final = re.compile(r"^==> (\S+) <==\n", re.M)
PS_COMMAND_OUTPUT: Final = "ps.procps"
HARDWARE: Final = "sysfs-hardware.txt"


@dataclass(frozen=True)
class Capture:
    """A capture cut into sections; the fast one further into files."""

    sections: dict[str, str]  # slow sections by name: text
    files: dict[str, str]  # fast section by file path: text (as `tail -n +1` printed it)
    # the files the probe reads by glob after the /proc files (/sys: link state,
    # temperatures), in the order the probe's `head` prints them
    globbed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, name: str = "probe-debian12.txt", hardware: str = HARDWARE) -> Capture:
        """The capture, with the hardware files the captured VM lacks (software RAID, /sys
        temperatures: demo/captures/README.md) joined to its fast section."""
        capture = cls.parse(_read(name))
        files = _files(_read(hardware))
        null = files.index(("/dev/null", ""))
        proc = dict(capture.files)
        end = proc.pop("/dev/null")
        proc.update(files[:null])  # /proc/mdstat: read by the tail, before its /dev/null
        proc["/dev/null"] = end
        return cls(capture.sections, proc, dict(files[null + 1 :]))

    @classmethod
    def parse(cls, text: str) -> Capture:
        sections = {m.group(1): m.group(2) for m in _SECTION.finditer(text)}
        fast = sections.pop("fast")
        return cls(sections, dict(_files(fast)))


def _files(text: str) -> list[tuple[str, str]]:
    parts = _FILE.split(text)  # ["", path, text, path, text, …]
    return list(zip(parts[1::2], parts[2::2], strict=True))


def top_processes() -> bytes:
    """What `ps` printed on the captured machine: the host page's top-processes panel."""
    return _read(PS_COMMAND_OUTPUT).encode()


def _read(name: str) -> str:
    return resources.files("demo").joinpath("captures", name).read_text()


def answer(capture: Capture, snap: Snapshot, nonce: str, *, slow: bool) -> bytes:
    """The framed probe output a real host in `snap`'s state would print."""
    files = []
    for path, text in capture.files.items():
        rewrite = _FAST.get(path)
        body = rewrite(text, snap) if rewrite else text
        if text.endswith("\n\n") and not body.endswith("\n\n"):
            body += "\n"  # tail's blank line between files
        files.append(f"==> {path} <==\n{body}")
    slow_globbed: dict[str, list[str]] = {}
    for path, text in capture.globbed.items():
        rewrite = _GLOBBED.get(path)
        chunk = f"==> {path} <==\n{rewrite(text, snap) if rewrite else text}"
        section = _slow_glob_section(path)
        if section is None:
            files.append(chunk)  # read every poll, after the /proc files
        else:
            slow_globbed.setdefault(section, []).append(chunk)
    out = [_framed(nonce, "fast", "".join(files))]
    if slow:
        for name, text in capture.sections.items():
            rewrite = _SLOW.get(name)
            out.append(_framed(nonce, name, rewrite(text, snap) if rewrite else text))
        for name, chunks in slow_globbed.items():
            out.append(_framed(nonce, name, "".join(chunks) + "==> /dev/null <==\n"))
    out.append(f"{MARK} {nonce} done\n")
    return "".join(out).encode()


def _slow_glob_section(path: str) -> str | None:
    """The slow-round section whose glob matches `path` (link speed, sensor limits)."""
    for name, globs in SLOW_GLOBS.items():
        if any(glob_regex(g).fullmatch(path) for g in globs):
            return name
    return None


def _framed(nonce: str, name: str, text: str) -> str:
    return f"{MARK} {nonce} begin {name}\n{text}\n{MARK} {nonce} end {name} 0\n"


def _lines(text: str, replace: Callable[[str], str | None]) -> str:
    """Each line through `replace`; None keeps it as captured."""
    return "".join(
        (new + "\n" if (new := replace(line.rstrip("\n"))) is not None else line)
        for line in text.splitlines(keepends=True)
    )


def _stat(text: str, snap: Snapshot) -> str:
    c = snap.counters
    cpus = snap.role.cpus
    total = " ".join(str(int(v)) for v in c.cpu)
    # the cpus share the work evenly: the per-cpu lines add up to the total, as they do
    per_cpu = [f"cpu{i} " + " ".join(str(int(v / cpus)) for v in c.cpu) for i in range(cpus)]
    values = {
        "ctxt": int(c.ctxt),
        "btime": int(snap.boot_epoch),
        "processes": int(c.forks),
        "procs_running": max(1, round(snap.busy * cpus)),
    }

    def line(text: str) -> str | None:
        key = text.split(" ", 1)[0]
        if key == "cpu":
            return f"cpu  {total} 0 0\n" + "\n".join(f"{p} 0 0" for p in per_cpu)
        if key.startswith("cpu"):
            return ""  # the captured per-cpu lines: replaced above, for this host's count
        if key in values:
            return f"{key} {values[key]}"
        return None

    # dropping the captured cpuN lines leaves empty ones; they go too
    return "".join(x for x in _lines(text, line).splitlines(keepends=True) if x != "\n")


def _meminfo(text: str, snap: Snapshot) -> str:
    cached = int((snap.mem_available_kib - snap.mem_free_kib) * 0.9)
    values = {
        "MemTotal": snap.mem_total_kib,
        "MemFree": snap.mem_free_kib,
        "MemAvailable": snap.mem_available_kib,
        "Cached": cached,
        "Active": (snap.mem_total_kib - snap.mem_available_kib) + cached // 2,
        "Inactive": cached // 2,
    }

    def line(text: str) -> str | None:
        key = text.split(":", 1)[0]
        return f"{key + ':':<16}{values[key]:>8} kB" if key in values else None

    return _lines(text, line)


def _loadavg(text: str, snap: Snapshot) -> str:
    running = max(1, round(snap.busy * snap.role.cpus))
    return (
        f"{snap.load1:.2f} {snap.load5:.2f} {snap.load15:.2f} "
        f"{running}/{120 + snap.established} {int(snap.counters.forks)}\n"
    )


def _uptime(text: str, snap: Snapshot) -> str:
    idle = snap.counters.cpu[IDLE] / 100
    return f"{snap.uptime_s:.2f} {idle:.2f}\n"


def _net_dev(text: str, snap: Snapshot) -> str:
    c = snap.counters

    def line(text: str) -> str | None:
        if not text.strip().startswith("eth0:"):
            return None
        rx = (int(c.rx_bytes), int(c.rx_packets), 0, int(c.rx_drop), 0, 0, 0, 0)
        tx = (int(c.tx_bytes), int(c.tx_packets), 0, 0, 0, 0, 0, 0)
        return "  eth0: " + " ".join(str(v) for v in (*rx, *tx))

    return _lines(text, line)


def _diskstats(text: str, snap: Snapshot) -> str:
    c = snap.counters

    def line(text: str) -> str | None:
        fields = text.split()
        if len(fields) < 3 or fields[2] != "vda":
            return None
        reads, sectors_r = int(c.reads), int(c.read_sectors)
        writes, sectors_w = int(c.writes), int(c.write_sectors)
        io_ms = int(c.io_ms)
        stats = (reads, 0, sectors_r, io_ms // 3, writes, 0, sectors_w, io_ms // 2, 0, io_ms)
        return f" 254       0 vda {' '.join(map(str, stats))} {io_ms} 0 0 0 0 0 0"

    return _lines(text, line)


def _snmp(text: str, snap: Snapshot) -> str:
    c = snap.counters
    header: list[str] = []

    def line(text: str) -> str | None:
        if not text.startswith("Tcp:"):
            return None
        fields = text.split()
        if not fields[1].isdigit() and fields[1] != "-1":
            header[:] = fields
            return None
        values = dict(zip(header, fields, strict=False))
        values.update(
            CurrEstab=str(snap.established),
            InSegs=str(int(c.in_segs)),
            OutSegs=str(int(c.out_segs)),
            RetransSegs=str(int(c.retrans)),
        )
        return " ".join(values[k] for k in header)

    return _lines(text, line)


def _pressure(total: Callable[[Snapshot], float]) -> Callable[[str, Snapshot], str]:
    def rewrite(text: str, snap: Snapshot) -> str:
        us = total(snap)
        share = min(99.0, us / max(snap.uptime_s, 1) / 1e4)
        return (
            f"some avg10={share:.2f} avg60={share:.2f} avg300={share:.2f} total={int(us)}\n"
            f"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
        )

    return rewrite


def _df(text: str, snap: Snapshot) -> str:
    def line(text: str) -> str | None:
        fields = text.split()
        if fields[:1] != ["/dev/vda"]:
            return None
        total, used = snap.disk_total_kib, snap.disk_used_kib
        # ext4 keeps 5 % for root: `Available` is less than total - used, as df shows it
        avail = max(0, int(total * 0.95) - used)
        capacity = -(-used * 100 // max(used + avail, 1))
        return f"/dev/vda {total:>26} {used:>8} {avail:>9} {capacity:>7}% /"

    return _lines(text, line)


def _uname(text: str, snap: Snapshot) -> str:
    return text.replace("Linux vm ", f"Linux {snap.name} ", 1)


def _cpuinfo(text: str, snap: Snapshot) -> str:
    cpus = snap.role.cpus
    block = (
        "processor\t: {i}\nmodel name\t: AMD EPYC\nphysical id\t: 0\n"
        "core id\t\t: {i}\ncpu cores\t: {n}\n"
    )
    return "".join(block.format(i=i, n=cpus) for i in range(cpus))


_FAST: Final[dict[str, Callable[[str, Snapshot], str]]] = {
    "/proc/stat": _stat,
    "/proc/meminfo": _meminfo,
    "/proc/loadavg": _loadavg,
    "/proc/uptime": _uptime,
    "/proc/net/dev": _net_dev,
    "/proc/diskstats": _diskstats,
    "/proc/net/snmp": _snmp,
    "/proc/pressure/cpu": _pressure(lambda s: s.counters.cpu_pressure_us),
    "/proc/pressure/io": _pressure(lambda s: s.counters.io_pressure_us),
}


def _cpu_temp(offset: float) -> Callable[[str, Snapshot], str]:
    """A cpu sensor warming with the load: 38 °C idle, 83 °C flat out (millidegrees, as
    sysfs prints them, and the blank line the reader puts before the next header)."""

    def rewrite(text: str, snap: Snapshot) -> str:
        return f"{round((38 + 45 * snap.busy + offset) * 1000)}\n\n"

    return rewrite


_GLOBBED: Final[dict[str, Callable[[str, Snapshot], str]]] = {
    "/sys/class/hwmon/hwmon0/temp1_input": _cpu_temp(2),
    "/sys/class/hwmon/hwmon0/temp2_input": _cpu_temp(0),
    "/sys/class/hwmon/hwmon0/temp3_input": _cpu_temp(1),
    "/sys/class/thermal/thermal_zone1/temp": _cpu_temp(2),
}
_SLOW: Final[dict[str, Callable[[str, Snapshot], str]]] = {
    "df": _df,
    "uname": _uname,
    "cpuinfo": _cpuinfo,
}
