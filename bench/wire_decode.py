"""The owner's share of a poll with `sshmon run --workers`: decoding one POLL frame.

    .venv/bin/python bench/wire_decode.py [--hosts 1000] [--tree DIR]

Encodes synthetic polls (tests/api/synth.py: 51 points, every collector of the registry
OK) as `--hosts` hosts' frames twice over (the first pass teaches the decoder the names and
each host's collector statuses, as a running worker connection has), and times decoding the
second pass by the thread's CPU: median of 5, in us per poll. `--tree` imports another
tree's `poller` (a `git archive` of an older commit) for a before/after in one process.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--tree", default=None)
    args = parser.parse_args()
    if args.tree:
        sys.path.insert(0, args.tree)
    import fleet_synth

    from poller import wire
    from poller.collectors.registry import COLLECTORS
    from poller.collectors.status import OK
    from poller.points import HostState, PollStatus
    from poller.poll import PollOutcome

    synth = fleet_synth.load()

    rng = random.Random(3)
    collectors = {c.name: OK for c in COLLECTORS}
    encoder, decoder = wire.PollEncoder(), wire.PollDecoder()
    frames = []
    for i in range(2 * args.hosts):
        shape = synth.HostShape(f"h{i % args.hosts:05d}")
        ts = 1.8e9 + 10 * (i // args.hosts)
        status = PollStatus(shape.name, ts, HostState.OK, "", 0.05)
        outcome = PollOutcome(status, synth.poll(shape, ts, rng), None, collectors=collectors)
        frames.append(encoder.encode(outcome)[wire.HEADER.size :])
    for payload in frames[: args.hosts]:
        decoder.decode(payload)
    times = []
    for _ in range(5):
        started = time.thread_time()
        for payload in frames[args.hosts :]:
            decoder.decode(payload)
        times.append(time.thread_time() - started)
    per_poll = statistics.median(times) / args.hosts * 1e6
    print(
        f"{args.tree or 'this tree'}: {per_poll:.1f} us per poll decoded "
        f"({len(outcome.points)} points, {len(collectors)} collector statuses)"
    )


if __name__ == "__main__":
    main()
