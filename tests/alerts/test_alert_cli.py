"""`sshmon alerts …` through typer's CliRunner, on a real inventory file and database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alerts_helpers import Receiver, ok, pt
from typer.testing import CliRunner

from alerts import runtime
from alerts.messages import clock
from sshmon import config
from sshmon.cli_alerts import alerts_app

runner = CliRunner()


def write_inventory(tmp_path: Path, receiver: Receiver, extra: str = "") -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(
        f"poller:\n  data_dir: {tmp_path / 'data'}\n"
        "groups:\n  db: {}\n"
        "hosts:\n  web-1: {address: 127.0.0.1}\n"
        "alerts:\n"
        "  retry: {attempts: 1}\n"
        "  routes:\n"
        f"    - {{name: ops, urls: ['{receiver.url('ops')}']}}\n"
        f"    - {{name: chat, urls: ['{receiver.url('chat')}']}}\n" + extra,
        encoding="utf-8",
    )
    return path


def run(path: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(alerts_app, [*args, "-i", str(path)])
    return result.exit_code, result.output


def test_alerts_test_sends_through_the_named_route(tmp_path: Path, receiver: Receiver) -> None:
    path = write_inventory(tmp_path, receiver)
    code, out = run(path, "test", "ops")
    assert (code, out) == (0, "ops: sent after 1 attempt(s)\n")
    [message] = receiver.received
    assert message["title"] == "sshmon test notification"
    assert "route 'ops'" in message["message"]
    assert receiver.paths == ["/ops"]


def test_alerts_test_without_a_route_tries_every_route(tmp_path: Path, receiver: Receiver) -> None:
    code, out = run(write_inventory(tmp_path, receiver), "test")
    assert code == 0, out
    assert sorted(receiver.paths) == ["/chat", "/ops"]


def test_alerts_test_reports_a_failing_route_and_exits_1(
    tmp_path: Path, receiver: Receiver
) -> None:
    receiver.fail_next(1)
    code, out = run(write_inventory(tmp_path, receiver), "test", "ops")
    assert code == 1
    assert out.startswith("ops: gave_up after 1 attempt(s): ")
    assert "error=500" in out


def test_an_unknown_route_is_one_line_and_exit_2(tmp_path: Path, receiver: Receiver) -> None:
    result = runner.invoke(
        alerts_app, ["test", "nope", "-i", str(write_inventory(tmp_path, receiver))]
    )
    assert result.exit_code == 2
    assert "no route named 'nope'" in result.output


def test_a_bad_rule_in_the_file_is_reported_with_its_line(
    tmp_path: Path, receiver: Receiver
) -> None:
    extra = "  rules:\n    - {name: x, metric: no_such_metric, warning: 1}\n"
    code, out = run(write_inventory(tmp_path, receiver, extra), "list")
    assert code == 2
    assert (
        f"{tmp_path / 'inventory.yaml'}:13: alerts.rules.0.metric: rule 'x': unknown metric" in out
    )


def test_silence_add_list_expire(tmp_path: Path, receiver: Receiver) -> None:
    path = write_inventory(tmp_path, receiver)
    code, out = run(
        path,
        "silence",
        "add",
        "--host",
        "web-1",
        "--label",
        "team=db",
        "--for",
        "2h",
        "-c",
        "disk swap",
        "--author",
        "ann",
    )
    assert code == 0 and out.startswith("silence #1: host=web-1 team=db until ")
    code, out = run(path, "silence", "list")
    assert "#1" in out and "ann: disk swap" in out
    assert run(path, "silence", "expire", "1") == (0, "silence #1 expired\n")
    assert run(path, "silence", "list") == (0, "no silences\n")
    code, out = run(path, "silence", "expire", "1")
    assert (code, out) == (2, "error: no active silence #1\n")


def test_silence_edit_changes_matcher_end_and_comment(tmp_path: Path, receiver: Receiver) -> None:
    path = write_inventory(tmp_path, receiver)
    run(path, "silence", "add", "--host", "web-1", "--for", "2h", "-c", "disk swap")
    code, out = run(path, "silence", "edit", "1", "--group", "db", "--until", "2099-01-01T00:00Z")
    assert (code, out) == (0, f"silence #1: group=db until {clock(4070908800)}\n")
    code, out = run(path, "silence", "edit", "1", "-c", "bigger disk", "--author", "bo")
    assert code == 0, out
    code, out = run(path, "silence", "list")
    assert "group=db" in out and "bigger disk" in out and "web-1" not in out
    assert run(path, "silence", "edit", "1") == (
        2,
        "error: nothing to change: give a matcher, an end or a comment\n",
    )
    assert run(path, "silence", "edit", "9", "-c", "x") == (2, "error: no active silence #9\n")
    code, out = run(path, "silence", "edit", "1", "--for", "1h", "--until", "2099-01-01")
    assert code == 2 and "at most one of --for" in out


def test_maintenance_edit_changes_name_and_schedule(tmp_path: Path, receiver: Receiver) -> None:
    path = write_inventory(tmp_path, receiver)
    run(
        path,
        "maintenance",
        "add",
        "backups",
        "--host",
        "web-1",
        "--at",
        "02:00",
        "--duration",
        "1h",
    )
    code, out = run(path, "maintenance", "edit", "1", "--name", "nightly")
    assert (code, out) == (0, "maintenance #1 'nightly': host=web-1\n")
    code, out = run(
        path, "maintenance", "edit", "1", "--at", "03:00", "--duration", "2h", "--days", "sun"
    )
    assert code == 0, out
    _, out = run(path, "maintenance", "list")
    assert "nightly" in out and "weekly sun 03:00 UTC for 2h" in out
    code, out = run(path, "maintenance", "edit", "1", "--at", "03:00")
    assert code == 2 and "needs `at` (HH:MM) and `duration`" in out
    code, out = run(path, "maintenance", "edit", "7", "-c", "x")
    assert (code, out) == (2, "error: no active maintenance window #7\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--for", "2h"], "name at least one host", id="empty-matcher"),
        pytest.param(["--host", "a"], "exactly one of --for", id="no-end"),
        pytest.param(
            ["--host", "a", "--label", "x", "--for", "1h"], "expected KEY=VALUE", id="bad-label"
        ),
    ],
)
def test_silence_add_refuses_what_would_surprise(
    tmp_path: Path, receiver: Receiver, args: list[str], message: str
) -> None:
    code, out = run(write_inventory(tmp_path, receiver), "silence", "add", *args)
    assert code == 2 and message in out


def test_maintenance_add_list_expire(tmp_path: Path, receiver: Receiver) -> None:
    path = write_inventory(tmp_path, receiver)
    code, out = run(
        path,
        "maintenance",
        "add",
        "backups",
        "--host",
        "web-1",
        "--at",
        "02:00",
        "--duration",
        "1h",
        "--days",
        "mon,thu",
        "--timezone",
        "Europe/Berlin",
    )
    assert (code, out) == (0, "maintenance #1 'backups': host=web-1\n")
    code, out = run(path, "maintenance", "list")
    assert "weekly mon,thu 02:00 Europe/Berlin for 1h" in out
    assert run(path, "maintenance", "expire", "1") == (0, "maintenance #1 expired\n")
    assert run(path, "maintenance", "list") == (0, "no maintenance windows\n")


def test_list_and_ack_work_on_what_the_running_engine_saved(
    tmp_path: Path, receiver: Receiver
) -> None:
    path = write_inventory(tmp_path, receiver)
    rt = runtime.build(config.load(path).alerts_loaded(), clock=lambda: 100.0)
    rt.engine.load(100.0)
    for t in (100, 400):  # the shipped fs_used rule waits 5 minutes
        rt.engine.observe(ok("web-1", t), [pt("web-1", "fs_used_percent", 97, t, "/")], t)
    rt.engine.flush()
    code, out = run(path, "list")
    assert code == 0
    assert out.startswith("firing   critical fs_used            web-1 /")
    assert "97.0%" in out
    assert run(path, "ack", "fs_used", "web-1", "/", "-c", "on it") == (
        0,
        "acknowledged fs_used on web-1 /\n",
    )
    rt.engine.tick(500.0)  # its reload picks the acknowledgement up
    assert rt.engine.alerts()[0][1].acked
    code, out = run(path, "ack", "memory_used", "web-1")
    assert (code, out) == (2, "error: no firing alert memory_used on web-1\n")
    rt.db.close()


async def test_the_runtime_sshmon_run_composes_delivers_and_persists(
    tmp_path: Path, receiver: Receiver
) -> None:
    path = write_inventory(tmp_path, receiver)
    events = []
    loaded = config.load(path).alerts_loaded()
    rt = runtime.build(loaded, store_events=events.append, clock=lambda: 1000.0)
    await rt.start()
    rt.engine.observe(ok("web-1", 1000), [pt("web-1", "mem_used_percent", 99, 1000)], 1000)
    rt.engine.observe(ok("web-1", 1300), [pt("web-1", "mem_used_percent", 99, 1300)], 1300)
    await rt.stop()
    assert sorted(receiver.paths) == ["/chat", "/ops"]  # both routes take every severity
    assert [e.state for e in events] == ["pending", "firing"]
    code, out = run(path, "list")
    assert code == 0 and out.startswith("firing   critical memory_used")


def test_alerts_test_names_the_file_and_line_of_a_url_apprise_refuses(
    tmp_path: Path, receiver: Receiver
) -> None:
    extra = "    - name: pager\n      urls: ['slack://SECRET-TOKEN']\n"
    code, out = run(write_inventory(tmp_path, receiver, extra), "test", "pager")
    assert code == 2
    assert out == (
        f"{tmp_path / 'inventory.yaml'}:13: alerts.routes.2.urls.0: route 'pager': "
        "Apprise cannot parse this slack:// URL (see its docs)\n"
    )
    assert receiver.received == []


def test_rules_shows_each_rule_with_its_source_and_exports_ui_changes(
    tmp_path: Path, receiver: Receiver
) -> None:
    import json

    import yaml

    from alerts.db import AlertsDB
    from alerts.overrides import OverrideStore
    from sshmon.cli import app

    extra = (
        "  defaults: {swap_used: false}\n"
        "  rules:\n"
        "    - {name: busy_io, severity: warning, inhibits: [load_per_core], all: "
        "[{metric: load1_per_core, above: 2}, {metric: cpu_iowait_percent, above: 20}]}\n"
    )
    path = write_inventory(tmp_path, receiver, extra)
    loaded = runtime.load(path)
    db = AlertsDB(loaded.db_url)
    new = {"name": "mine", "metric": "mem_used_percent", "warning": 70}
    OverrideStore(db).put("mine", new, action="create", before=None, who="ana", now=1.0)
    db.close()

    def sshmon(*args: str) -> str:
        result = runner.invoke(app, ["alerts", "rules", *args, "-i", str(path)])
        assert result.exit_code == 0, result.output
        return result.output

    rows = {r["name"]: r for r in json.loads(sshmon("--json"))}
    assert (rows["mine"]["source"], rows["mine"]["updated_by"]) == ("ui", "ana")
    assert rows["busy_io"]["source"] == "file" and rows["memory_used"]["source"] == "default"
    assert rows["busy_io"]["condition"]["text"] == (
        "all of: load1_per_core > 2 and cpu_iowait_percent > 20 (warning)"
    )
    assert rows["load_per_core"]["inhibited_by"] == ["busy_io"]
    assert rows["mine"]["applies_to"] == ["web-1"]
    assert "swap_used" not in rows
    table = sshmon()
    assert "mine" in table and "ui (ana)" in table and "memory_used" in table
    exported = yaml.safe_load(sshmon("--export"))["alerts"]
    assert exported["defaults"] == {"swap_used": False}
    assert [r["name"] for r in exported["rules"]] == ["busy_io", "mine"]


def test_list_says_which_firing_alerts_are_silenced_or_inhibited(
    tmp_path: Path, receiver: Receiver
) -> None:
    extra = (
        "  rules:\n"
        "    - {name: mem_hi, metric: mem_used_percent, warning: 90, inhibits: [memory_used]}\n"
    )
    path = write_inventory(tmp_path, receiver, extra)
    rt = runtime.from_file(path, clock=lambda: 100.0)
    rt.engine.load(100.0)
    for t in (100, 400):  # the shipped memory_used waits 5 minutes
        rt.engine.observe(ok("web-1", t), [pt("web-1", "mem_used_percent", 99, t)], t)
    rt.engine.flush()
    rt.db.close()
    assert run(path, "silence", "add", "--rule", "mem_hi", "--for", "1h")[0] == 0
    code, out = run(path, "list")
    assert code == 0
    lines = {line.split()[2]: line for line in out.splitlines()}
    assert lines["memory_used"].endswith(" inhibited by mem_hi")
    assert "silenced (silence #1 (rule=mem_hi)" in lines["mem_hi"]


def test_a_corrupt_alerts_db_is_one_line_naming_the_file(
    tmp_path: Path, receiver: Receiver
) -> None:
    path = write_inventory(tmp_path, receiver)
    db = tmp_path / "data" / "alerts.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(os.urandom(64) + b"\0" * 4032)  # 64 random bytes where the header was
    code, out = run(path, "list")
    assert code == 2
    assert out == (f"error: alerts database {db}: file is not a database "
                   "(`sshmon run` moves a corrupt file aside when it starts)\n")
    assert db.exists()  # left in place: a running `sshmon run` may hold it
