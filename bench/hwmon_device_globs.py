"""What the hwmon sensors on a chip's device (`Source.sparse`, poller/probe.py SPARSE_CHECK)
would cost the fast read if it listed every chip's device directory at every poll.

A tree of N chips (hwmonN/temp1_input, and a `device` link to one of this machine's PCI
devices, as a real chip's link leads to its PCI or platform device) in a temporary
directory; `dash` expands the fast read's hwmon globs `--calls` times: the chips' own
files only, with the device globs, and with them behind the probe's unset flag (a host
without such sensors). CPU is the children's rusage; medians of `--rounds` alternated
rounds. Standard library only; from the repository root:

    nice .venv/bin/python bench/hwmon_device_globs.py --chips 5 --rounds 5
"""

from __future__ import annotations

import argparse
import glob
import resource
import statistics
import subprocess
import tempfile
from pathlib import Path

OWN = "{d}/hwmon*/temp*_input"
ON_DEVICE = "{d}/hwmon*/device/temp*_input {d}/hwmon*/device/temp"
VARIANTS = {
    "own files only": OWN,
    "with the device globs": f"{OWN} {ON_DEVICE}",
    "device globs behind the unset flag": OWN + " ${_sm_sp:+" + ON_DEVICE + "}",
}


def cpu_us(script: str, calls: int) -> float:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["dash"], input=script, text=True, check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1e6 / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chips", type=int, default=5)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    devices = sorted(glob.glob("/sys/bus/pci/devices/*"))[: args.chips]
    if len(devices) < args.chips:
        raise SystemExit(f"this machine has {len(devices)} PCI devices")
    with tempfile.TemporaryDirectory() as tmp:
        for i, device in enumerate(devices):
            chip = Path(tmp) / f"hwmon{i}"
            chip.mkdir()
            (chip / "temp1_input").write_text("40000\n")
            (chip / "device").symlink_to(device)
        results: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(args.rounds):
            for name, words in VARIANTS.items():
                expand = f"set -- {words.replace('{d}', tmp)}"
                loop = f"i=0; while [ $i -lt {args.calls} ]; do {expand}; i=$((i+1)); done\n"
                results[name].append(cpu_us(loop, args.calls))
    print(f"{args.chips} chips, devices {devices[0]} ..., {args.calls} expansions x {args.rounds}")
    for name, values in results.items():
        print(f"{name:>36}: {statistics.median(values):6.1f} µs per poll (median)")


if __name__ == "__main__":
    main()
