"""Target CPU of the probe's every-poll read, in pieces, under `dash` on this machine.

- per file: what one more file costs the fast `head` (the same file given 100 times to
  one `head`, less one `head` of /dev/null alone), for a /proc/sys file, a sysfs
  attribute and a glob that matches nothing;
- the bare fork and exec of `head` and the frame markers' `printf`s;
- `_sm_fast` and `_sm_slow` of this tree, and of another tree's probe (`--before DIR`,
  e.g. a `git archive` of an older commit) alternated with them.

CPU is the children's rusage around a `dash` running the loop; medians of `--rounds`
alternated rounds. Standard library only; run it from the repository root:

    nice .venv/bin/python bench/fast_read_cost.py --before /tmp/old --rounds 7
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
from pathlib import Path

COPIES = 100
PROBE_TEXT = "from poller import probe; print(probe.definitions())"


def cpu_ms(script: str) -> float:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        ["dash"], input=script, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True
    )
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000


def loop(body: str, n: int, setup: str = "") -> str:
    return f"{setup}\ni=0; while [ $i -lt {n} ]; do {body}; i=$((i+1)); done\n"


def definitions(root: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", PROBE_TEXT], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=200, help="calls per measurement")
    ap.add_argument("--rounds", type=int, default=5, help="alternated rounds; medians")
    ap.add_argument("--before", type=Path, help="another tree whose probe to compare")
    args = ap.parse_args()
    n = args.calls
    sysfs = next(Path("/sys/class/net").glob("*/operstate"))
    per_file = {
        "/proc/sys file (poolsize)": "/proc/sys/kernel/random/poolsize",
        f"sysfs attribute ({sysfs})": str(sysfs),
        "glob matching nothing": "/sys/class/hwmon/hwmon*/name",
    }
    cases: dict[str, tuple[str, int]] = {
        "empty loop": (loop(":", n), 1),
        "bare head /dev/null": (loop("head -n 2147483647 /dev/null >/dev/null 2>&1", n), 1),
        "printf of the two markers": (
            loop("printf '%s\\n' '@@sshmon x begin fast'; printf '\\n%s\\n' '@@sshmon x end 0'", n),
            1,
        ),
    }
    for what, path in per_file.items():
        body = f"head -n 2147483647 {' '.join([path] * COPIES)} >/dev/null 2>&1"
        cases[f"per file: {what}"] = (loop(body, n // 4), COPIES)
    trees = {"this tree": Path.cwd()}
    if args.before is not None:
        trees = {"before": args.before, **trees}
    for name, root in trees.items():
        text = definitions(root)
        cases[f"_sm_fast, {name}"] = (loop("_sm_fast 0123456789abcdef >/dev/null", n, text), 1)
        slow = loop("_sm_slow 0123456789abcdef >/dev/null", max(n // 4, 20), text)
        cases[f"_sm_slow, {name}"] = (slow, 1)
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(args.rounds):
        for key, (script, _) in cases.items():
            calls = n // 4 if key.startswith("per file") else n
            if key.startswith("_sm_slow"):
                calls = max(n // 4, 20)
            times[key].append(cpu_ms(script) / calls)
    empty = statistics.median(times["empty loop"])
    bare = statistics.median(times["bare head /dev/null"])
    for key, (_, copies) in cases.items():
        ms = statistics.median(times[key]) - empty
        if copies > 1:  # one head of COPIES files, less the head itself, per file
            print(f"  {key:55s} {(ms - bare) / copies * 1000:7.1f} us per file")
        elif key != "empty loop":
            print(f"  {key:55s} {ms:7.3f} ms per call")


if __name__ == "__main__":
    main()
