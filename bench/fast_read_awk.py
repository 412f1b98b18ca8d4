"""What the every-poll read would cost the target if a long-lived `awk` did it, against the
`head` the probe starts at every poll (issue 12's next step, measured, not built).

The fast read is one `head` over ~22 /proc files and a few /sys globs; starting that
process (fork, exec, the dynamic loader) is most of its cost. An `awk` kept running for the
session can re-read the same files at each request (`getline < file`, then `close(file)`
so the next read starts at offset 0 and the kernel renders the file anew), so nothing is
started per poll. Both sides here:

- head: a long-lived `dash` with the probe's own `_sm_fast` function (this tree's
  `poller.probe.definitions()`), called `--calls` times; CPU of the dash and its reaped
  children from /proc.
- awk: a long-lived `mawk -W interactive` (mawk reads stdin a whole buffer at a time
  otherwise) reading one request line (the file list, globs expanded by this script where
  the probe's `sh` would expand them: that part of the cost is left out) and printing the
  files in head's own `==> path <==` layout, the whole frame in one write; CPU of the awk
  process from /proc.

Before timing, the script checks that awk's frame has the same headers in the same order
as head's for the same list, files head could not read left out (bodies differ: the
counters move between the two reads).
Standard library only; run it from the repository root:

    .venv/bin/python bench/fast_read_awk.py --calls 500 --rounds 3
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from poller import probe

TICKS = os.sysconf("SC_CLK_TCK")
# one request: a line of paths; the frame is built in a string and printed once, since
# mawk -W interactive writes every `print` separately
AWK = r"""{
  n = split($0, f, " "); o = ""; first = 1
  for (i = 1; i <= n; i++) {
    if ((getline line < f[i]) <= 0) { close(f[i]); continue }
    o = o (first ? "" : "\n") "==> " f[i] " <==\n" line "\n"; first = 0
    while ((getline line < f[i]) > 0) o = o line "\n"
    close(f[i])
  }
  printf "%s@@end\n", o
}"""


def cpu_s(pid: int, children: bool) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def fast_paths() -> list[str]:
    """The probe's fast `head` arguments, globs expanded as the target's sh would."""
    text = probe.definitions()
    found = re.search(r"_sm_fast\(\) \{.*?head -n \d+ (.*?) 2>/dev/null", text)
    if found is None:
        raise SystemExit("no fast head in this tree's probe")
    paths: list[str] = []
    for word in found.group(1).split():
        if word == "/dev/null":
            continue
        matched = sorted(glob.glob(word)) if "*" in word else [word]
        paths += [p for p in matched if os.access(p, os.R_OK)]
    return paths


def read_frame(stream: subprocess.Popen[str], end: str) -> str:
    assert stream.stdout is not None
    lines = []
    while (line := stream.stdout.readline()) != end:
        if not line:
            raise SystemExit("the reader exited")
        lines.append(line)
    return "".join(lines)


def headers(frame: str) -> list[str]:
    """The paths whose bodies are not empty, in order (head prints a header for a file it
    then fails to read, such as a down interface's carrier; awk skips it)."""
    parts = re.split(r"^==> (.*) <==\n", frame, flags=re.M)
    return [path for path, body in zip(parts[1::2], parts[2::2], strict=True) if body.strip()]


def with_head(calls: int, paths: list[str]) -> tuple[float, str]:
    sh = subprocess.Popen(
        ["dash"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert sh.stdin is not None
    sh.stdin.write(probe.definitions())
    call = "_sm_fast 0123456789abcdef; printf '@@end\\n'\n"
    end = "@@end\n"
    try:
        for _ in range(20):  # warm-up
            sh.stdin.write(call)
            sh.stdin.flush()
            frame = read_frame(sh, end)
        cpu0 = cpu_s(sh.pid, children=True)
        for _ in range(calls):
            sh.stdin.write(call)
            sh.stdin.flush()
            read_frame(sh, end)
        return (cpu_s(sh.pid, children=True) - cpu0) * 1000 / calls, frame
    finally:
        sh.kill()
        sh.wait()


def with_awk(calls: int, paths: list[str]) -> tuple[float, str]:
    awk = subprocess.Popen(
        ["mawk", "-W", "interactive", AWK], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert awk.stdin is not None
    request = " ".join(paths) + "\n"
    try:
        for _ in range(20):
            awk.stdin.write(request)
            awk.stdin.flush()
            frame = read_frame(awk, "@@end\n")
        cpu0 = cpu_s(awk.pid, children=False)
        for _ in range(calls):
            awk.stdin.write(request)
            awk.stdin.flush()
            read_frame(awk, "@@end\n")
        return (cpu_s(awk.pid, children=False) - cpu0) * 1000 / calls, frame
    finally:
        awk.kill()
        awk.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=500, help="reads per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds; medians")
    args = ap.parse_args()
    paths = fast_paths()
    head_ms: list[float] = []
    awk_ms: list[float] = []
    for r in range(args.rounds):
        ms, head_frame = with_head(args.calls, paths)
        head_ms.append(ms)
        ms, awk_frame = with_awk(args.calls, paths)
        awk_ms.append(ms)
        if r == 0:
            h = [p for p in headers(head_frame) if p in paths]  # not the markers after /dev/null
            if h != headers(awk_frame):
                raise SystemExit(f"awk's frame differs from head's:\n{h}\n{headers(awk_frame)}")
        print(f"round {r + 1}: head {head_ms[-1]:.3f} ms, awk {awk_ms[-1]:.3f} ms", flush=True)
    h, a = statistics.median(head_ms), statistics.median(awk_ms)
    print(f"{len(paths)} files; medians of {args.rounds} rounds of {args.calls} reads:")
    print(f"  head started per poll (_sm_fast)  {h:.3f} ms target CPU per read")
    print(f"  one long-lived mawk               {a:.3f} ms  ({a / h:.2f}x, {h - a:.3f} ms less)")


if __name__ == "__main__":
    main()
