"""CPU time of every parser on hostile lines, at two lengths: does it stay linear?

    .venv/bin/python bench/parser_worst_case.py [--repeat N]

A target's output is untrusted, and one very long line (a million digits, colons or
backslashes) must not cost a parser quadratic time. For each parser and each kind of
line this prints the CPU ms at 100,000 and 1,000,000 characters and their ratio: about
10 is linear, about 100 quadratic. Was a timed assertion in
tests/parsers/test_parser_properties.py; timing belongs here, on a quiet machine.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable

from parsers.errors import ParseError
from poller.collectors.registry import PARSERS

LINES: dict[str, Callable[[int], str]] = {
    "numbers": lambda n: "1 " * (n // 2),
    "one-word": lambda n: "a" * n,
    "colons": lambda n: "x:" * (n // 2),
    "backslashes": lambda n: 'K="' + "\\" * (n - 4) + '"',
}
SHORT, LONG = 100_000, 1_000_000


def _cpu_ms(parse: Callable[[str], object], text: str, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.process_time()
        with contextlib.suppress(ParseError):
            parse(text)
        samples.append(time.process_time() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--repeat", type=int, default=3)
    opts = args.parse_args()
    parsers = sorted(set(PARSERS.values()), key=lambda f: f.__module__)
    print(f"{'parser':<28} {'line':<12} {'100k ms':>9} {'1M ms':>9} {'ratio':>6}")
    for parse in parsers:
        name = parse.__module__.rsplit(".", 1)[-1]
        for kind, make in LINES.items():
            short = _cpu_ms(parse, make(SHORT), opts.repeat)
            long = _cpu_ms(parse, make(LONG), opts.repeat)
            ratio = long / short if short > 0 else float("nan")
            print(f"{name:<28} {kind:<12} {short:>9.1f} {long:>9.1f} {ratio:>6.1f}")


if __name__ == "__main__":
    main()
