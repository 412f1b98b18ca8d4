"""os: what the host runs, from /etc/os-release (slow round); node_os_info and node_os_version.

No stored metric: os-release feeds the host's info (poller/derive.py host_info).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from parsers import etc_os_release
from parsers.etc_os_release import OsRelease
from parsers.exposition import Sample, node_sample
from poller.collectors.base import FIXED_WHILE_UP, Collector, Readings, Source, reading

# The os-release spec says to read /usr/lib/os-release when /etc/os-release is missing
# (some minimal and immutable images ship only that one).
OS_RELEASE: Final = Source(
    "os_release",
    etc_os_release.parse,
    path="/etc/os-release",
    slow=True,
    fallback="/usr/lib/os-release",
    every=FIXED_WHILE_UP,  # changes only with an upgrade
)
LABELS: Final = (
    "build_id", "id", "id_like", "image_id", "image_version", "name", "pretty_name", "variant",
    "variant_id", "version", "version_codename", "version_id",
)  # fmt: skip


def samples(r: Readings) -> Iterator[Sample]:
    osr = reading(r, "os_release", OsRelease)
    if osr is None:
        return
    labels = tuple((k, osr.fields.get(k.upper(), "")) for k in LABELS)
    help_ = "A metric with a constant '1' value labeled by " + ", ".join(LABELS) + "."
    yield node_sample("os_info", 1, "gauge", help_, labels)
    # bounded like every number from a target (parsers/numbers.py): float() of 400 digits
    # is inf, which JSON output refuses
    version = re.match(r"\d{1,9}(\.\d{1,9})?", osr.fields.get("VERSION_ID", ""))
    if version:
        labels = tuple((k, osr.fields.get(k.upper(), "")) for k in ("id", "id_like", "name"))
        help_ = "Metric containing the major.minor part of the OS version."
        yield node_sample("os_version", float(version.group()), "gauge", help_, labels)


COLLECTOR: Final = Collector(
    "os", "Operating system release (/etc/os-release; slow round)", (OS_RELEASE,), samples=samples
)
