"""`sshmon config check`: the whole file is checked before anything runs.

One broken file per kind of mistake, each asserting the exact `file:line: key: what` line
and exit status 2; a good file exits 0 with its summary; `check` and `run` refuse the same
files the same way; a taken web port is one line from a real process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alerts.defaults import SHIPPED
from sshmon.cli import app

SSHMON = Path(sys.executable).with_name("sshmon")
runner = CliRunner()

HOSTS = """\
groups:
  web:
    hosts: [web-1]
hosts:
  web-1: {transport: local}
  db-1: {transport: local}
"""


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where each test writes its file; relative, as users type it, so lines read as in docs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SSHMON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SSHMON_INVENTORY", raising=False)
    yield Path("inventory.yaml")


def config_check(path: Path, text: str, *command: str) -> tuple[int, list[str], str]:
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, [*(command or ("config", "check")), "-i", str(path)])
    assert "Traceback" not in result.output + result.stderr
    # the runner turns an escaped exception into exit 1: show it rather than a bare status
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr.splitlines(), result.stdout


def test_a_good_file_exits_0_with_a_summary(inventory: Path) -> None:
    text = HOSTS + (
        "alerts:\n"
        "  rules:\n"
        "    - {name: disk_busy, metric: disk_util_percent, devices: [sd*], warning: 90}\n"
        "  routes:\n"
        "    - {name: ops, urls: ['json://127.0.0.1:9/hook']}\n"
    )
    code, errors, out = config_check(inventory, text)
    assert (code, errors) == (0, [])
    rules = len(SHIPPED) + 1  # the shipped rules and this file's own
    assert out == f"inventory.yaml: 2 hosts, 1 group, {rules} rules, 1 route: ok\n"


def test_an_unknown_scope_host_is_reported_at_its_own_line_and_path(inventory: Path) -> None:
    text = HOSTS + (
        "alerts:\n"  # 7
        "  rules:\n"
        "    - name: busy\n"
        "      metric: cpu_busy_percent\n"  # 10
        "      warning: 90\n"
        "    - name: load\n"  # 12: the rule; the mistake is three lines further down
        "      metric: load5\n"
        "      warning: 4\n"
        "      scope:\n"
        "        hosts:\n"
        "          - web-1\n"
        "          - db-9\n"  # 18
    )
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors == [
        "inventory.yaml:18: alerts.rules.1.scope.hosts.1: rule 'load': "
        "no host named 'db-9' in the inventory (did you mean db-1?)",
        "inventory.yaml: 1 problem",
    ]


def test_an_unknown_scope_group_is_rejected(inventory: Path) -> None:
    text = HOSTS + (
        "alerts:\n"
        "  rules:\n"
        "    - name: load\n"
        "      metric: load5\n"
        "      warning: 4\n"
        "      scope: {groups: [webs]}\n"
    )
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors[0] == (
        "inventory.yaml:12: alerts.rules.0.scope.groups.0: rule 'load': "
        "no group named 'webs' in the inventory (did you mean web?)"
    )


def test_devices_on_a_metric_without_devices_is_rejected(inventory: Path) -> None:
    text = HOSTS + (
        "alerts:\n"
        "  rules:\n"
        "    - name: load\n"
        "      metric: load5\n"
        "      warning: 4\n"
        "      devices: [sda]\n"
    )
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors[0] == (
        "inventory.yaml:12: alerts.rules.0.devices: rule 'load': metric 'load5' has no "
        "devices, it is one value per host (devices: fits metrics per device, interface "
        "or mount point)"
    )


def test_exclude_devices_on_a_patched_shipped_rule_points_at_the_patch(inventory: Path) -> None:
    text = HOSTS + "alerts:\n  defaults:\n    cpu_busy:\n      exclude_devices: [lo]\n"
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors[0] == (
        "inventory.yaml:10: alerts.defaults.cpu_busy.exclude_devices: rule 'cpu_busy': "
        "metric 'cpu_busy_percent' has no devices, it is one value per host "
        "(exclude_devices: fits metrics per device, interface or mount point)"
    )


@pytest.mark.parametrize(
    ("url", "what"),
    [
        (
            "slak://xoxb-SECRET-TOKEN@hooks",
            "no Apprise service called 'slak' (did you mean slack?)",
        ),
        ("tgram://SECRET-TOKEN/", "Apprise cannot parse this tgram:// URL (see its docs)"),
        ("SECRET-TOKEN", "not an Apprise URL (expected SERVICE://…, e.g. ntfy://topic)"),
    ],
    ids=["unknown-service", "malformed", "no-scheme"],
)
def test_a_bad_apprise_url_names_the_route_file_and_line_but_not_the_secret(
    inventory: Path, url: str, what: str
) -> None:
    text = HOSTS + (
        "alerts:\n"
        "  routes:\n"
        "    - name: ops\n"
        "      urls: ['json://127.0.0.1:9/hook']\n"
        "    - name: pager\n"
        "      urls:\n"
        "        - json://127.0.0.1:9/other\n"
        f"        - {url}\n"
    )
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors[0] == f"inventory.yaml:14: alerts.routes.1.urls.1: route 'pager': {what}"
    assert "SECRET" not in "\n".join(errors)


def test_a_route_url_from_an_unset_variable_is_reported(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSHMON_TEST_PAGER_URL", raising=False)
    text = HOSTS + "alerts:\n  routes:\n    - {name: pager, urls: ['env:SSHMON_TEST_PAGER_URL']}\n"
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors[0] == (
        "inventory.yaml:9: alerts.routes.0.urls.0: route 'pager': "
        "environment variable SSHMON_TEST_PAGER_URL is not set"
    )


def test_a_bad_url_in_a_variable_is_reported_without_its_value(
    inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHMON_TEST_PAGER_URL", "slak://SECRET@x")
    text = HOSTS + "alerts:\n  routes:\n    - {name: pager, urls: ['env:SSHMON_TEST_PAGER_URL']}\n"
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert errors[0] == (
        "inventory.yaml:9: alerts.routes.0.urls.0: route 'pager': no Apprise service called "
        "'slak' (did you mean slack?) (from environment variable SSHMON_TEST_PAGER_URL)"
    )


def test_every_mistake_in_every_section_is_listed_in_one_run(inventory: Path) -> None:
    text = (
        "hosts:\n"
        "  web-1: {transport: local, port: 70000}\n"
        "poller:\n"
        "  max_unauthenticated_per_target: 0\n"
        "database:\n"
        "  batch_rows: many\n"
        "web:\n"
        "  prot: 8080\n"
        "alerts:\n"
        "  rules:\n"
        "    - {name: load, metric: load5, warning: 4, scope: {hosts: [db-9]}}\n"
        "  routes:\n"
        "    - {name: ops, urls: ['slak://x']}\n"
    )
    code, errors, _ = config_check(inventory, text)
    assert code == 2
    assert [e.split(": ")[:2] for e in errors] == [
        ["inventory.yaml:2", "hosts.web-1.port"],
        ["inventory.yaml:4", "poller.max_unauthenticated_per_target"],
        ["inventory.yaml:6", "database.batch_rows"],
        ["inventory.yaml:8", "web.prot"],
        ["inventory.yaml:11", "alerts.rules.0.scope.hosts.0"],
        ["inventory.yaml:13", "alerts.routes.0.urls.0"],
        ["inventory.yaml", "6 problems"],
    ]


def test_not_yaml_is_one_line_with_its_line(inventory: Path) -> None:
    code, errors, _ = config_check(inventory, "hosts:\n  web-1: {transport: local\n")
    assert code == 2
    assert errors == [
        "inventory.yaml:3: not valid YAML: expected ',' or '}', but got '<stream end>'",
        "inventory.yaml: 1 problem",
    ]


BROKEN = HOSTS + "alerts:\n  rules:\n    - {name: load, metric: load5, warning: 4, devices: [x]}\n"


@pytest.mark.parametrize("command", [("check",), ("run",), ("serve",)])
def test_check_run_and_serve_refuse_what_config_check_refuses(
    inventory: Path, command: tuple[str, ...]
) -> None:
    _, expected, _ = config_check(inventory, BROKEN)
    code, errors, out = config_check(inventory, BROKEN, *command)
    assert (code, out) == (2, "")
    assert errors == expected[:-1]  # the same lines, without config check's count


def test_a_taken_web_port_is_one_line_and_nothing_is_announced(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(
        f"poller: {{data_dir: {tmp_path / 'data'}}}\nhosts:\n  me: {{transport: local}}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSHMON_")}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [str(SSHMON), "run", "-i", str(inventory), "--listen", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: address already in use; "
        "choose another with --listen HOST:PORT or web.host/web.port\n"
    )


@pytest.mark.parametrize(
    ("url", "what"),
    [
        (
            "chdv:///srv/sshmon",
            "expected chdb:///DIR or http(s)://[USER:PASSWORD@]HOST[:PORT][/DB] (got chdv://)",
        ),
        ("chdb://srv/sshmon", "chdb:// needs an absolute directory: chdb:///DIR"),
        ("https://u:SECRET@ch:81x/db", "https:// URL: the port is not a number from 1 to 65535"),
    ],
    ids=["unknown-scheme", "relative-chdb", "bad-port"],
)
def test_a_bad_database_url_is_reported_without_its_password(
    inventory: Path, url: str, what: str
) -> None:
    code, errors, _ = config_check(inventory, HOSTS + f"database:\n  url: {url}\n")
    assert (code, errors) == (
        2,
        [f"inventory.yaml:8: database.url: {what}", "inventory.yaml: 1 problem"],
    )
