"""Slow sections at their own cadence (`Source.every`, poller/probe.py): one shell function
per cadence, and an invocation that calls only the ones due; run through a real `dash`."""

from __future__ import annotations

import re
import subprocess

import pytest

from poller import probe
from poller.collectors.base import FIXED_WHILE_UP, Source
from poller.collectors.registry import SLOW_ROUNDS, SOURCES

NONCE = "0123456789abcdef"
RARE = {"uname": 30, "os_release": 30, "cpuinfo": 30, "pagesize": 30}
RARE |= {"tcp_states": 5, "timex": 5, "net_udp": 5, "systemd_failed": 2}
RARE |= {"clocksource": 5, "selinux": 5, "net_ids": 5}  # rarely-changing files, one `head`


def test_the_rare_sections_and_their_cadences() -> None:
    assert FIXED_WHILE_UP == 30
    assert dict(probe.DEFAULT_PLAN.cadence) == RARE
    assert probe.DEFAULT_PLAN.cadences == (2, 5, 30)
    # what stays at every slow round: df (it fills up), and what it is joined with
    every_round = {s for s in probe.ALL_SECTIONS if SOURCES[s].slow and s not in RARE}
    assert {"df", "df_inodes", "mounts", "cgroups", "net_snmp6"} <= every_round


def _functions(text: str) -> dict[str, str]:
    return dict(re.findall(r"^(_sm_\w+)\(\) \{ (.*); \}$", text, flags=re.M))


def test_each_slow_section_is_in_the_function_of_its_cadence() -> None:
    functions = _functions(probe.definitions())
    assert {"_sm_fast", "_sm_slow", "_sm_slow2", "_sm_slow5", "_sm_slow30"} <= set(functions)
    for name in probe.ALL_SECTIONS:
        source = SOURCES[name]
        if not source.slow:
            continue
        every = RARE.get(name, 1)
        holder = "_sm_slow" + (str(every) if every > 1 else "")
        # a file or glob without a fallback is in its cadence's one `head`, framed as such
        read = probe.SLOW_READ + (str(every) if every > 1 else "")
        joined = source.globs or (source.path and not source.fallback)
        frame_name = read if joined else name
        found = [f for f, body in functions.items() if f' begin {frame_name}"' in body]
        assert found == [holder], name
        for path in (*source.globs, source.path) if joined else ():
            if path:
                assert f" {path} " in functions[holder], name
    # the every-round files and globs are one process: no `cat`, one `head`
    assert "cat /proc/" not in functions["_sm_slow"]
    assert functions["_sm_slow"].count("head -n") == 1
    # df_inodes still follows df in one function: it reads df's output, or is skipped
    # when df timed out
    assert functions["_sm_slow"].index('begin df"') < functions["_sm_slow"].index(
        'begin df_inodes"'
    )


def test_the_invocation_calls_only_the_cadences_due() -> None:
    fast = probe.invocation(NONCE, slow=False, rare=(2, 30))
    assert "_sm_slow" not in fast  # a fast poll runs no slow function, whatever is due
    line = probe.invocation(NONCE, slow=True, rare=(5,))
    calls = [c.split()[0] for c in line.split("; ")[:-1]]
    assert calls == ["_sm_fast", "_sm_slow", "_sm_slow5"]
    assert probe.invocation(NONCE, slow=True).count("_sm_slow") == 1


def test_plan_sections_of_a_round() -> None:
    plan = probe.DEFAULT_PLAN
    plain = plan.sections_of(())
    assert "df" in plain and not plain & set(RARE)
    assert plan.sections_of((2, 30)) - plain == {
        "systemd_failed",
        *(s for s in RARE if RARE[s] == 30),
    }
    assert plan.sections_of(plan.cadences) >= set(RARE)


def _ran(script: str) -> set[str]:
    out = subprocess.run(["dash"], input=script, capture_output=True, text=True, check=True)
    fast = set(probe.FAST_FILES) | set(probe.FAST_GLOBS)
    return set(probe.split_output(out.stdout, NONCE).sections) - fast


def test_a_real_shell_runs_exactly_the_sections_due() -> None:
    plain = _ran(probe.script(NONCE, slow=True, rare=()))
    assert "df" in plain and "mounts" in plain and not plain & set(RARE)
    with_5 = _ran(probe.script(NONCE, slow=True, rare=(5,)))
    assert with_5 - plain <= {"tcp_states", "timex", "net_udp", "clocksource", "selinux", "net_ids"}
    assert {"tcp_states", "selinux", "net_ids"} <= with_5
    every = _ran(probe.script(NONCE, slow=True))  # a script on its own reads all
    assert {"uname", "os_release", "cpuinfo", "tcp_states"} <= every
    assert not _ran(probe.script(NONCE, slow=False, rare=(2, 5, 30))) & set(SOURCES)


def test_every_is_for_slow_sections_only() -> None:
    with pytest.raises(ValueError, match="every"):
        Source("x", str, path="/proc/x", every=2)
    with pytest.raises(ValueError, match="every"):
        Source("x", str, path="/proc/x", slow=True, every=0)


def test_the_rare_metrics_slow_rounds_for_the_alert_engine() -> None:
    assert dict(SLOW_ROUNDS) == {
        "tcp_connections": 5,
        "timex_sync_status": 5,
        "timex_offset_seconds": 5,
        "timex_maxerror_seconds": 5,
        "systemd_units_failed": 2,
    }
