"""CPU of one host's poll without the network: `HostPoller.poll()` on a recorded capture.

    .venv/bin/python bench/poll_cost.py [--polls 3000] [--slow-every 12] [--profile N]
                                        [--capture DIR]

Captures this machine's fast and slow probe output once (as `poller_bench.py --mode sim`
does, through a local `sh`), then polls one host through a link that answers with the
capture, the nonce and a moving /proc/uptime filled in as the simulator does, so every
rate is derived. What is timed is everything the poller does with a poll's bytes:
decoding, framing (parsers/frame.py), parsing, the device cap, derivation, statuses and
the outcome; not SSH (see poller_bench.py for the whole). Prints the median CPU per poll
over rounds of `--polls`, and with `--profile N` the N functions with the most own time
under cProfile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from poller_bench import _capture  # noqa: E402

from poller.inventory import Host  # noqa: E402
from poller.poll import HostPoller  # noqa: E402
from poller.transport import Mode, RawPoll  # noqa: E402


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now


class _ReplayLink:
    """Answers each poll with the capture, as bench/sim_server.py does over SSH."""

    mode: Mode = "shell"

    def __init__(self, fast: bytes, slow: bytes, clock: _Clock) -> None:
        self._fast, self._slow, self._clock = fast, slow, clock
        self.connected = False

    async def poll(
        self,
        nonce: str,
        *,
        slow: bool,
        due: tuple[int, ...] = (),
        rare: tuple[int, ...] | None = None,
    ) -> RawPoll:
        self._clock.now += 10.0
        uptime = b"%.2f %.2f" % (self._clock.now, self._clock.now)
        template = self._slow if slow else self._fast
        output = template.replace(b"{nonce}", nonce.encode()).replace(b"{uptime}", uptime)
        reconnected, self.connected = not self.connected, True
        return RawPoll(output, "shell", reconnected)

    async def close(self) -> None:
        self.connected = False


async def _polls(poller: HostPoller, n: int) -> None:
    for _ in range(n):
        outcome = await poller.poll()
        if outcome.status.state.value != "ok":
            raise SystemExit(f"poll failed: {outcome.status.reason}")


def _templates(keep: Path | None) -> tuple[bytes, bytes]:
    if keep is not None and (keep / "capture-slow").exists():
        return (keep / "capture-fast").read_bytes(), (keep / "capture-slow").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        fast_path, slow_path = asyncio.run(_capture(Path(tmp)))
        fast, slow = fast_path.read_bytes(), slow_path.read_bytes()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        (keep / "capture-fast").write_bytes(fast)
        (keep / "capture-slow").write_bytes(slow)
    return fast, slow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--polls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--slow-every", type=int, default=12)
    parser.add_argument("--profile", type=int, default=0, help="top N functions by own time")
    parser.add_argument(
        "--capture",
        type=Path,
        help="directory for the capture: reused when there, so trees compare on the same text",
    )
    args = parser.parse_args()
    fast, slow = _templates(args.capture)
    print(f"capture: fast {len(fast)} bytes, slow {len(slow)} bytes")
    clock = _Clock()
    host = Host(name="h", address="127.0.0.1", slow_every=args.slow_every)
    poller = HostPoller(host, _ReplayLink(fast, slow, clock), clock)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_polls(poller, args.slow_every * 2))  # warm: a previous snapshot
    samples = []
    for _ in range(args.rounds):
        started = time.process_time()
        loop.run_until_complete(_polls(poller, args.polls))
        samples.append((time.process_time() - started) / args.polls * 1e6)
    outcome = loop.run_until_complete(poller.poll())
    print(
        f"{statistics.median(samples):.1f} us per poll (median of {args.rounds} rounds of "
        f"{args.polls}; min {min(samples):.1f}), slow every {args.slow_every}, "
        f"{len(outcome.points)} points on a fast poll"
    )
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        loop.run_until_complete(_polls(poller, args.polls))
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.profile)
    loop.close()


if __name__ == "__main__":
    main()
