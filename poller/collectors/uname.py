"""uname: kernel release, version and machine (`uname`, slow round); node_uname_info."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import cmd_uname
from parsers.cmd_uname import Uname
from parsers.exposition import Sample, node_sample
from poller.collectors.base import FIXED_WHILE_UP, Collector, Readings, Source, reading

UNAME: Final = Source(
    "uname",
    cmd_uname.parse,
    command="uname -snrm; uname -v",
    slow=True,
    every=FIXED_WHILE_UP,  # the running kernel: changes only with a reboot (a new connection)
)


def samples(r: Readings) -> Iterator[Sample]:
    # node_exporter also has `domainname`, which `uname -snrm` does not print
    u = reading(r, "uname", Uname)
    if u is None:
        return
    values = (u.machine, u.nodename, u.release, u.sysname, u.version or "")
    names = ("machine", "nodename", "release", "sysname", "version")
    labels = tuple(zip(names, values, strict=True))
    help_ = "Labeled system information as provided by the uname system call."
    yield node_sample("uname_info", 1, "gauge", help_, labels)


COLLECTOR: Final = Collector(
    "uname", "Kernel release and machine (uname; slow round)", (UNAME,), samples=samples
)
