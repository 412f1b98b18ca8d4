#!/usr/bin/env bash
# The fleet-data tests (`-m fleet`: tests/api and tests/web, see tests/conftest.py) with the
# wall clock faked by Debian's libfaketime, at the hours that used to break them: 03:00 and
# 17:00 UTC today, and a run that starts at 23:59:30 on 31 December so it crosses midnight
# (day, month and year) while it runs. `make test` runs this after the main pytest run;
# it adds about 3 to 5 minutes (2 cores).
#
#   tests/at_other_hours.sh [extra pytest args]
#
# How time is faked, and why this way (libfaketime 0.9.10, chDB 26.9, Python 3.11):
# - `faketime 'DATE TIME'` turns the date into an offset (FAKETIME=-NNN) that the clock
#   keeps ticking from, shared by every child process (sshd, ssh, chromium, chDB's
#   threads), so they all agree on the time. chDB's server threads, the query pool, uvicorn
#   on its thread and asyncio run normally under LD_PRELOAD in this mode.
# - FAKETIME_DONT_FAKE_MONOTONIC=1: only the wall clock moves. With the monotonic clock
#   faked too, timed waits on locks and conditions (sem_clockwait, pthread_cond_timedwait:
#   threading.Event.wait(t), the writer's flush timer) never time out and the run hangs.
# - With it, libfaketime's clock_nanosleep wrapper breaks Python's time.sleep (EINVAL), so
#   the pytest process loads tests/faketime_sleep.py (`-p faketime_sleep`), which sleeps
#   by a timed Event wait instead. Other programs (sshd, chromium) sleep their own way.
# - Not `faketime -f '@DATE'` with a speed-up (`x20`): that ages the fixture in a
#   short run (good for reproducing "older than 15 minutes" by hand), but it also speeds
#   up every timeout in sshd/ssh/uvicorn and breaks tests that have nothing to do with it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { echo "faketime is missing: apt-get install faketime" >&2; exit 1; }

PYTEST=${PYTEST:-.venv/bin/pytest}
today=$(date -u +%F)
year=$(date -u +%Y)
export TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH=tests${PYTHONPATH:+:$PYTHONPATH}
status=0
# The browser tests run at one hour only: their pages come from the same faked server as
# tests/api/test_pages.py, and Chromium itself runs on the real clock (tests/web/conftest.py).
for run in "$today 03:00:00|tests/api" "$today 17:00:00|tests/api tests/web" \
           "$year-12-31 23:59:30|tests/api"; do
  start=${run%%|*}
  read -r -a paths <<<"${run#*|}"
  echo "== ${paths[*]} -m fleet, faked clock from $start UTC"
  began=$SECONDS
  # A crash of the process itself is retried once: chDB's engine under libfaketime's
  # LD_PRELOAD segfaulted once in about ten runs here, before any test ran. faketime then
  # says "Caught Segmentation fault" and exits 1, like a failed test, so its words decide.
  # A test that fails is never retried.
  log=$(mktemp)
  for attempt in 1 2; do
    rc=0
    faketime "$start" "$PYTEST" -p faketime_sleep "${paths[@]}" -m fleet -q -p no:cacheprovider "$@" \
      >"$log" 2>&1 || rc=$?
    cat "$log"
    if (( rc != 0 && attempt == 1 )) && grep -q '^Caught ' "$log"; then
      echo "== the run crashed ($(grep -m1 '^Caught ' "$log")), not a test failure; once more"
      continue
    fi
    break
  done
  rm -f "$log"
  (( rc == 0 )) || status=1
  ended=$(( $(date -u -d "$start" +%s) + SECONDS - began ))
  echo "== faked clock ran $start → $(date -u -d "@$ended" '+%F %T') UTC"
done
exit $status
