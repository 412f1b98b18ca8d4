"""entropy: the kernel's entropy estimate and pool size (/proc/sys/kernel/random).

Stored: before Linux 5.18 a low entropy_avail blocked /dev/random readers (TLS key
generation at boot, gpg), a classic alert. Since 5.18 (the BLAKE2s pool) both files read
256 for good, which is then what is stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from parsers import proc_sys_value
from parsers.exposition import Sample, node_sample
from parsers.proc_sys_value import SysValue
from poller.collectors.base import Collector, NodeName, Readings, Source, Triple, reading
from poller.metric_spec import EXACT, G, MetricSpec

_DIR: Final = "/proc/sys/kernel/random"
# poolsize is fixed by the kernel (4096 bits before 5.18, 256 since): it is read in the
# slow round's one `head` and held in between (`Source.held`): each file the every-poll
# `head` opens costs the target ~7 µs per poll (bench/README.md, "The fast read's fixed
# files").
SOURCES: Final = (
    Source("entropy_avail", proc_sys_value.parser(f"{_DIR}/entropy_avail"),
           path=f"{_DIR}/entropy_avail"),
    Source("entropy_poolsize", proc_sys_value.parser(f"{_DIR}/poolsize"),
           path=f"{_DIR}/poolsize", slow=True, held=True),
)  # fmt: skip
_HELP_AVAIL: Final = "Bits of available entropy."

# precision: the count of bits as the kernel printed it (a small integer that repeats)
METRICS: Final = (
    MetricSpec("entropy_available_bits", "count", G, None,
               "Entropy the kernel estimates it holds, in bits (entropy_avail)", EXACT),
)  # fmt: skip


def gauges(r: Readings, out: list[Triple]) -> None:
    avail = reading(r, "entropy_avail", SysValue)
    if avail is not None:
        out.append(("entropy_available_bits", "", avail.value))


def samples(r: Readings) -> Iterator[Sample]:
    avail = reading(r, "entropy_avail", SysValue)
    pool = reading(r, "entropy_poolsize", SysValue)
    if avail is not None:
        yield node_sample("entropy_available_bits", avail.value, "gauge", _HELP_AVAIL)
    if pool is not None:
        yield node_sample("entropy_pool_size_bits", pool.value, "gauge", "Bits of entropy pool.")


COLLECTOR: Final = Collector(
    "entropy",
    "Available entropy and pool size (/proc/sys/kernel/random)",
    SOURCES,
    METRICS,
    gauges,
    None,
    samples,
    (NodeName("entropy_available_bits", "node_entropy_available_bits", _HELP_AVAIL),),
)
