"""node_exporter's metric names, label names and HELP texts for the families sshmon exports.

Declarative tables only, split from parsers/exposition.py (which builds the samples) so
that module stays about what is exported, not how node_exporter spells it.
"""

from __future__ import annotations

from typing import Final, Literal

SampleType = Literal["counter", "gauge", "untyped"]

# fmt: off
# node_exporter's names of NetDevCounters' columns, in the same order
NET_FIELDS: Final = (
    "receive_bytes", "receive_packets", "receive_errs", "receive_drop", "receive_fifo",
    "receive_frame", "receive_compressed", "receive_multicast", "transmit_bytes",
    "transmit_packets", "transmit_errs", "transmit_drop", "transmit_fifo", "transmit_colls",
    "transmit_carrier", "transmit_compressed",
)
# (DiskStats field, node_exporter name after node_disk_ if different, HELP); node_exporter
# types them all as counters but io_now, and keeps discarded_sectors_total in sectors
DISK_FIELDS: Final = (
    ("reads_completed_total", "", "The total number of reads completed successfully."),
    ("reads_merged_total", "", "The total number of reads merged."),
    ("read_bytes_total", "", "The total number of bytes read successfully."),
    ("read_time_seconds_total", "", "The total number of seconds spent by all reads."),
    ("writes_completed_total", "", "The total number of writes completed successfully."),
    ("writes_merged_total", "", "The number of writes merged."),
    ("written_bytes_total", "", "The total number of bytes written successfully."),
    ("write_time_seconds_total", "", "This is the total number of seconds spent by all writes."),
    ("io_in_progress", "io_now", "The number of I/Os currently in progress."),
    ("io_time_seconds_total", "", "Total seconds spent doing I/Os."),
    ("io_weighted_time_seconds_total", "io_time_weighted_seconds_total",
     "The weighted # of seconds spent doing I/Os."),
    ("discards_completed_total", "", "The total number of discards completed successfully."),
    ("discards_merged_total", "", "The total number of discards merged."),
    ("discarded_bytes_total", "discarded_sectors_total",
     "The total number of sectors discarded successfully."),
    ("discard_time_seconds_total", "",
     "This is the total number of seconds spent by all discards."),
    ("flush_requests_total", "", "The total number of flush requests completed successfully"),
    ("flush_time_seconds_total", "flush_requests_time_seconds_total",
     "This is the total number of seconds spent by all flush requests."),
)
OS_LABELS: Final = (
    "build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name", "variant",
    "variant_id", "version", "version_codename", "version_id",
)
# fmt: on

# fmt: off
# (ProcStat field, node_exporter name after node_, type, HELP)
STAT_FIELDS: Final[tuple[tuple[str, str, SampleType, str], ...]] = (
    ("boot_time_seconds", "boot_time_seconds", "gauge", "Node boot time, in unixtime."),
    ("context_switches_total", "context_switches_total", "counter",
     "Total number of context switches."),
    ("forks_total", "forks_total", "counter", "Total number of forks."),
    ("interrupts_total", "intr_total", "counter", "Total number of interrupts serviced."),
    ("procs_running", "procs_running", "gauge", "Number of processes in runnable state."),
    ("procs_blocked", "procs_blocked", "gauge",
     "Number of processes blocked waiting for I/O to complete."),
)
PSI_HELP: Final = {
    ("cpu", "waiting"): "Total time in seconds that processes have waited for CPU time",
    ("cpu", "stalled"): "Total time in seconds no process could make progress due to CPU",
    ("memory", "waiting"): "Total time in seconds that processes have waited for memory",
    ("memory", "stalled"):
        "Total time in seconds no process could make progress due to memory congestion",
    ("io", "waiting"): "Total time in seconds that processes have waited due to IO congestion",
    ("io", "stalled"): "Total time in seconds no process could make progress due to IO congestion",
}
FS_HELP: Final = {
    "size_bytes": "Filesystem size in bytes.",
    "free_bytes": "Filesystem free space in bytes.",
    "avail_bytes": "Filesystem space available to non-root users in bytes.",
    "files": "Filesystem total file nodes.",
    "files_free": "Filesystem total free file nodes.",
    "readonly": "Filesystem read-only status.",
    "device_error": "Whether an error occurred while getting statistics for the given device.",
}
CPU_HELP: Final = "Seconds the CPUs spent in each mode."
GUEST_HELP: Final = "Seconds the CPUs spent in guests (VMs) for each mode."
# fmt: on
