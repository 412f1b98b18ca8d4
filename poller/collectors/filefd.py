"""filefd: allocated and maximum file handles (/proc/sys/fs/file-nr)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_sys_fs_file_nr
from parsers.exposition import Sample, node_sample
from parsers.proc_sys_fs_file_nr import FileNr
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, PCT, G, MetricSpec, P

FILE_NR: Final = Source("file_nr", proc_sys_fs_file_nr.parse, path="/proc/sys/fs/file-nr")

METRICS: Final = (
    MetricSpec("open_fds", "count", G, None, "Allocated file handles (file-nr)", EXACT),
    MetricSpec("fd_max", "count", G, None, "System-wide file handle limit (fs.file-max)", EXACT),
    MetricSpec("fd_used_percent", P, P, None, "open_fds / fd_max", PCT),
)


def gauges(r: Readings, out: list[Triple]) -> None:
    fds = reading(r, "file_nr", FileNr)
    if fds is None:
        return
    out.append(("open_fds", "", fds.allocated))
    out.append(("fd_max", "", fds.maximum))
    if fds.maximum > 0:
        out.append(("fd_used_percent", "", fds.allocated * 100.0 / fds.maximum))


def samples(r: Readings) -> Iterator[Sample]:
    fds = reading(r, "file_nr", FileNr)
    if fds is not None:
        for k, v in (("allocated", fds.allocated), ("maximum", fds.maximum)):
            yield node_sample(f"filefd_{k}", v, "gauge", f"File descriptor statistics: {k}.")


COLLECTOR: Final = Collector(
    "filefd",
    "File handles (/proc/sys/fs/file-nr)",
    (FILE_NR,),
    METRICS,
    gauges,
    None,
    samples,
    (
        NodeName("open_fds", "node_filefd_allocated", "File descriptor statistics: allocated."),
        NodeName("fd_max", "node_filefd_maximum", "File descriptor statistics: maximum."),
    ),
)
