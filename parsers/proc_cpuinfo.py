"""Parse /proc/cpuinfo, whole or as the probe's grep summary (poller/probe.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from parsers.errors import ParseError

SOURCE: Final = "/proc/cpuinfo"
# x86 says `model name`; arm64 says nothing per cpu but some kernels print `Model` (board,
# e.g. Raspberry Pi) and older 32-bit arm kernels `Hardware` (SoC): first one present wins.
_MODEL_KEYS: Final = ("model name", "Model", "Hardware")


@dataclass(frozen=True, slots=True)
class CpuInfo:
    """Parsed /proc/cpuinfo: logical cpus, model and topology; None where it does not say.

    `cores` counts distinct (physical id, core id) pairs, `sockets` distinct physical ids;
    both need those lines, which x86 prints and most arm kernels do not.
    """

    processors: int | None
    model_name: str | None
    sockets: int | None
    cores: int | None


def parse(text: str) -> CpuInfo:
    processors = 0
    models: dict[str, str] = {}
    packages: set[str] = set()
    cores: set[tuple[str, str]] = set()
    package = "0"
    for line in text.split("\n"):
        key, colon, value = line.partition(":")
        if not colon:
            continue  # blank separators, and lines of the full file we do not read
        key, value = key.strip(), value.strip()
        if key == "processor":
            if not value.isdigit():
                raise ParseError(SOURCE, "processor number is not an integer", line)
            processors += 1
        elif key in _MODEL_KEYS:
            models.setdefault(key, value)
        elif key == "physical id":
            package = value
            packages.add(value)
        elif key == "core id":
            cores.add((package, value))
    model = next((models[k] for k in _MODEL_KEYS if models.get(k)), None)
    return CpuInfo(processors or None, model, len(packages) or None, len(cores) or None)
