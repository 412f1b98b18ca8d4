"""A pytest plugin for the runs under libfaketime only (tests/at_other_hours.sh loads it
with `-p faketime_sleep`): `time.sleep` as a wait on an Event.

Why: with FAKETIME_DONT_FAKE_MONOTONIC=1, libfaketime 0.9.10's clock_nanosleep wrapper
shifts an absolute CLOCK_MONOTONIC deadline by the wall-clock offset, and Python 3.11's
time.sleep (clock_nanosleep with TIMER_ABSTIME) fails with EINVAL. Faking the monotonic
clock instead makes timed lock waits (sem_clockwait) never time out, which hangs far
more. Lock waits with a timeout are right in this mode, so sleep becomes one: the same
duration, on the real monotonic clock.
"""

from __future__ import annotations

import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


time.sleep = _sleep
