"""Main-thread CPU accounting for a benchmark process (bench only, never imported by sshmon).

`run_bench.py --account FILE` (or `PYTHONPATH=bench/account SSHMON_ACCOUNT=FILE` in front
of `poller_bench.py`) puts this directory first on the path, so Python imports this
module at start-up. It charges the event-loop thread's CPU (`time.thread_time`) to:

- each kind of loop callback (a task by its coroutine's name, else the callback's), and
  `_run_once` as a whole: what is not in a callback is the loop's own work (epoll_wait,
  dispatching events, the timer heap);
- a few functions inside them: the poll's processing, the probe's write, asyncssh's
  receive path, the sink and each of its parts (a function's figure includes what it
  calls, and any GC pass it happened to trigger);
- garbage-collection passes, per generation, on this thread and on all threads.

Every 10 s it appends the running totals (and the thread's CPU from /proc) to FILE, one
Python literal a line; `account_split.py FILE` prints the last minute per poll. Each
wrapped call costs about a microsecond, so the totals run ~1 % high.
"""

from __future__ import annotations

import asyncio.base_events
import asyncio.events
import functools
import gc
import os
import threading
import time
from collections.abc import Callable
from typing import Any

OUT = os.environ.get("SSHMON_ACCOUNT", "")
MAIN = threading.main_thread().ident
_clock = time.thread_time
totals: dict[str, list[float]] = {}  # name -> [calls, CPU seconds]
gc_totals = {"g0": 0.0, "g1": 0.0, "g2": 0.0, "main": 0.0}
_gc_started: dict[int | None, float] = {}


def _add(name: str, seconds: float) -> None:
    entry = totals.setdefault(name, [0, 0.0])
    entry[0] += 1
    entry[1] += seconds


def _timed(owner: Any, attr: str, name: str) -> None:
    original: Callable[..., Any] = getattr(owner, attr)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() != MAIN:
            return original(*args, **kwargs)
        started = _clock()
        try:
            return original(*args, **kwargs)
        finally:
            _add(name, _clock() - started)

    setattr(owner, attr, timed)


def _callback_name(handle: asyncio.events.Handle) -> str:
    callback = handle._callback
    task = getattr(callback, "__self__", None)
    if task is not None and hasattr(task, "get_coro"):
        return "loop: task " + getattr(task.get_coro(), "__qualname__", "?")
    return "loop: " + (getattr(callback, "__qualname__", None) or type(callback).__name__)


def _loop_accounting() -> None:
    run_handle = asyncio.events.Handle._run
    run_once = asyncio.base_events.BaseEventLoop._run_once

    def handle_run(self: asyncio.events.Handle) -> None:
        if threading.get_ident() != MAIN:
            return run_handle(self)
        started = _clock()
        try:
            return run_handle(self)
        finally:
            _add(_callback_name(self), _clock() - started)

    def once(self: asyncio.base_events.BaseEventLoop) -> None:
        started = _clock()
        try:
            return run_once(self)  # type: ignore[no-any-return]
        finally:
            _add("loop: _run_once, all of it", _clock() - started)

    asyncio.events.Handle._run = handle_run  # type: ignore[method-assign]
    asyncio.base_events.BaseEventLoop._run_once = once  # type: ignore[method-assign]


def _gc_callback(phase: str, info: dict[str, int]) -> None:
    ident = threading.get_ident()
    if phase == "start":
        _gc_started[ident] = _clock()
        return
    spent = _clock() - _gc_started.pop(ident, _clock())
    gc_totals[f"g{info['generation']}"] += spent
    if ident == MAIN:
        gc_totals["main"] += spent


def _functions() -> None:
    import asyncssh.connection

    from poller import poll, scheduler, transport

    _timed(scheduler.Scheduler, "_deliver", "sink: all of it (Scheduler._deliver)")
    _timed(poll.HostPoller, "_process", "poll: _process (frame, parse, derive, statuses)")
    _timed(transport._SshShell, "write", "ssh: write the probe line")
    _timed(asyncssh.connection.SSHConnection, "data_received", "ssh: data_received")
    try:  # the owner's parts; absent where only the poller runs (poller_bench.py)
        from alerts import engine
        from api import hub
        from poller import health
        from store import writer
    except ImportError:
        return
    _timed(engine.AlertEngine, "observe", "sink: alert engine")
    _timed(hub.Hub, "publish", "sink: hub.publish with its taps")
    _timed(health.PollHealth, "observe", "sink: health counters")
    _timed(writer.Writer, "submit", "sink: writer.submit (points)")
    _timed(writer.Writer, "submit_status", "sink: writer.submit_status")


def _main_thread_cpu() -> float:
    with open(f"/proc/self/task/{os.getpid()}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _dump() -> None:
    while True:
        time.sleep(10)
        row = {
            "t": time.monotonic(),
            "main": _main_thread_cpu(),
            "gc": dict(gc_totals),
            "totals": {k: list(v) for k, v in totals.items()},
        }
        with open(OUT, "a") as f:
            f.write(repr(row) + "\n")


if OUT:
    _loop_accounting()
    _functions()
    gc.callbacks.append(_gc_callback)
    threading.Thread(target=_dump, name="account", daemon=True).start()
