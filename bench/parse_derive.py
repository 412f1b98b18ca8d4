"""Median CPU cost of parse_all and derive for one poll of a real capture.

    .venv/bin/python bench/parse_derive.py [CAPTURE] [--fast] [--repeat N] [--sections]

CAPTURE defaults to tests/fixtures/local/probe-debian12-linux6.18.1.txt (2 cpus, one
disk, 4 interfaces). `--fast` drops the slow sections (df, mounts, …), as in most polls.
`--sections` also prints each section's parser alone, to see where parse_all goes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from parsers.frame import Section
from poller.collectors.registry import PARSERS, parse_all
from poller.derive import Snapshot, derive
from poller.probe import SLOW_COMMANDS, SLOW_FILES
from poller.replay import sections_from_capture

DEFAULT = Path(__file__).resolve().parents[1] / "tests/fixtures/local"


def _median_min_us(fn: object, repeat: int) -> tuple[float, float]:
    """Median and minimum CPU time; on a busy machine the minimum is the better guide
    to the uncontended cost, the median to what a loaded poller will see."""
    samples = []
    for _ in range(repeat):
        started = time.process_time_ns()
        fn()  # type: ignore[operator]
        samples.append(time.process_time_ns() - started)
    return statistics.median(samples) / 1000, min(samples) / 1000


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("capture", nargs="?", type=Path)
    args.add_argument("--fast", action="store_true", help="fast sections only")
    args.add_argument("--repeat", type=int, default=2000)
    args.add_argument("--sections", action="store_true", help="time each parser alone")
    opts = args.parse_args()
    paths = [opts.capture] if opts.capture else sorted(DEFAULT.glob("probe-*.txt"))[:2]
    polls = [sections_from_capture(p.read_text()) for p in paths]
    if opts.fast:
        slow = {*SLOW_FILES, *SLOW_COMMANDS}
        polls = [{k: v for k, v in s.items() if k not in slow} for s in polls]
    first, last = polls[0], polls[-1]
    previous = Snapshot(0.0, parse_all(first).readings)
    current = Snapshot(10.0, parse_all(last).readings)  # uptime is the clock when present
    parse_us, parse_min = _median_min_us(lambda: parse_all(last), opts.repeat)
    derive_us, derive_min = _median_min_us(lambda: derive("h", previous, current), opts.repeat)
    points = len(derive("h", previous, current))
    kind = "fast" if opts.fast else "fast+slow"
    print(f"{paths[-1].name} ({kind}, {len(last)} sections, {points} points)")
    print(f"parse_all  median {parse_us:7.1f} us   min {parse_min:7.1f} us")
    print(f"derive     median {derive_us:7.1f} us   min {derive_min:7.1f} us")
    total, floor = parse_us + derive_us, parse_min + derive_min
    print(f"total      median {total:7.1f} us   min {floor:7.1f} us per poll")
    if opts.sections:
        _per_section(last, opts.repeat)


def _per_section(sections: dict[str, Section], repeat: int) -> None:
    for name, section in sections.items():
        parser = PARSERS.get(name)
        if parser is not None:
            text = section.text
            median, floor = _median_min_us(lambda p=parser, t=text: p(t), repeat)
            print(f"  {name:16s} median {median:6.1f} us   min {floor:6.1f} us")


if __name__ == "__main__":
    main()
