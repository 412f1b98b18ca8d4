"""User metrics end to end through the local transport: a textfile directory and commands,
and every kind of bad input costing only its own collector, with a reason."""

from __future__ import annotations

import random
from pathlib import Path

from fake_clock import FakeClock

from poller.collectors.status import CollectorState
from poller.exposition import samples
from poller.inventory import CommandSetting, Host
from poller.points import HostState
from poller.poll import HostPoller, PollOutcome
from poller.transport import LocalLink

GOOD = """# HELP backup_age_seconds Seconds since the last backup.
# TYPE backup_age_seconds gauge
backup_age_seconds{job="db",target="s3"} 3600
# TYPE queue_jobs_total counter
queue_jobs_total 42
"""


async def _poll(host: Host, polls: int = 1) -> PollOutcome:
    poller = HostPoller(host, LocalLink(host), FakeClock(), random.Random(1))
    try:
        for _ in range(polls):
            outcome = await poller.poll()
    finally:
        await poller.close()
    assert outcome.status.state is HostState.OK, outcome.status
    return outcome


def _host(**kw: object) -> Host:
    return Host(name="here", address="localhost", transport="local", **kw)  # type: ignore[arg-type]


def _builtin_ok(outcome: PollOutcome) -> None:
    for name in ("cpu", "meminfo", "loadavg"):
        assert outcome.collectors[name].state is CollectorState.OK, name
    assert any(p.metric == "load1" for p in outcome.points)


async def test_textfile_metrics_are_stored_and_exported_with_names_and_labels(
    tmp_path: Path,
) -> None:
    # quotes, spaces and substitutions: the path is one shell-quoted word, never evaluated
    # (if it were, $(echo x) would change the path and no file would be found)
    odd = tmp_path / "it's a $(echo x) `echo y` dir"
    odd.mkdir()
    (odd / "backup.prom").write_text(GOOD)
    (odd / "ignored.txt").write_text("not_read 1\n")
    outcome = await _poll(_host(textfile_dir=str(odd)))
    got = {(p.metric, p.dev): p.value for p in outcome.points if p.metric.startswith("custom:")}
    assert got == {
        ("custom:backup_age_seconds", 'job="db",target="s3"'): 3600.0,
        ("custom:queue_jobs_total", ""): 42.0,
    }
    assert outcome.collectors["textfile"].state is CollectorState.OK
    exported = {(s.name, s.labels): s.value for s in samples(outcome.readings)}
    assert exported[("backup_age_seconds", (("job", "db"), ("target", "s3")))] == 3600.0
    assert ("node_load1", ()) in exported
    _builtin_ok(outcome)


async def test_a_broken_prom_file_fails_only_the_textfile_collector(tmp_path: Path) -> None:
    (tmp_path / "good.prom").write_text(GOOD)
    (tmp_path / "bad.prom").write_text("broken{ 1\n")
    (tmp_path / "nan.prom").write_text("weird NaN\n")
    (tmp_path / "huge.prom").write_text("huge " + "9" * 400 + "\n")
    (tmp_path / "clash.prom").write_text("node_load1 99\nload1 5\n")
    outcome = await _poll(_host(textfile_dir=str(tmp_path)))
    status = outcome.collectors["textfile"]
    assert status.state is CollectorState.FAILED
    for words in (
        "bad.prom: invalid Prometheus text format",
        "clash.prom: name node_load1 collides with a built-in metric",
        "and 2 more",
    ):
        assert words in status.reason, status.reason
    names = {p.metric for p in outcome.points}
    assert "custom:backup_age_seconds" in names  # the good file still lands
    assert not {"custom:weird", "custom:huge", "custom:node_load1", "custom:load1"} & names
    _builtin_ok(outcome)


async def test_no_prom_files_is_unavailable(tmp_path: Path) -> None:
    outcome = await _poll(_host(textfile_dir=str(tmp_path / "missing")))
    assert outcome.collectors["textfile"].state is CollectorState.UNAVAILABLE
    _builtin_ok(outcome)


def _cmd(name: str, run: str, fmt: str = "value", **kw: object) -> CommandSetting:
    return CommandSetting(name=name, run=run, format=fmt, **kw)  # type: ignore[arg-type]


async def test_commands_in_every_format_and_every_failure_with_its_reason() -> None:
    commands = (
        _cmd("queue_depth", "echo 17"),
        _cmd("disk_temp", "printf 'sda 41\\nsdb 38\\n'", "keyvalue"),
        _cmd("app", "printf 'app_up{role=\"api\"} 1\\n'", "prometheus"),
        _cmd("hangs", "sleep 30", timeout=1),
        _cmd("floods", "yes 1", max_output_bytes=4096),
        _cmd("nan", "echo NaN"),
        _cmd("digits", "echo " + "9" * 400),
        _cmd("fails", "echo oops; exit 3"),
        _cmd("eats_stdin", "cat"),  # stdin is /dev/null: it must not swallow the probe
    )
    outcome = await _poll(_host(commands=commands, timeout=8))
    got = {(p.metric, p.dev): p.value for p in outcome.points if p.metric.startswith("custom:")}
    assert got[("custom:queue_depth", "")] == 17.0
    assert got[("custom:disk_temp", 'key="sda"')] == 41.0
    assert got[("custom:app_up", 'role="api"')] == 1.0
    st = outcome.collectors
    ok = ("command:queue_depth", "command:disk_temp", "command:app")
    assert all(st[n].state is CollectorState.OK for n in ok)
    expect = {
        "command:hangs": "timed out after 1 s",
        "command:floods": "output over 4096 bytes",
        "command:nan": "not a finite number",
        "command:digits": "out of range",
        "command:fails": "exited with status '3'",
        "command:eats_stdin": "expected exactly one number",
    }
    for name, words in expect.items():
        assert st[name].state is CollectorState.FAILED, name
        assert words in st[name].reason, (name, st[name].reason)
    _builtin_ok(outcome)


async def test_a_command_runs_every_n_polls_and_keeps_its_samples_between() -> None:
    host = _host(commands=(_cmd("slowish", "echo 5", every=3),))
    poller = HostPoller(host, LocalLink(host), FakeClock(), random.Random(1))
    try:
        ran = []
        for _ in range(4):
            outcome = await poller.poll()
            ran.append("command:slowish" in outcome.collectors)
            assert [s.value for s in samples(outcome.readings) if s.name == "slowish"] == [5.0]
    finally:
        await poller.close()
    assert ran == [True, False, False, True]


async def test_series_over_the_hosts_cap_are_dropped_and_said(tmp_path: Path) -> None:
    lines = "".join(f'many{{i="{i}"}} {i}\n' for i in range(50))
    (tmp_path / "many.prom").write_text(lines)
    outcome = await _poll(_host(textfile_dir=str(tmp_path), max_custom_series=10))
    assert sum(p.metric == "custom:many" for p in outcome.points) == 10
    status = outcome.collectors["textfile"]
    assert status.state is CollectorState.FAILED
    assert "40 series dropped over the host's cap (max_custom_series)" in status.reason
