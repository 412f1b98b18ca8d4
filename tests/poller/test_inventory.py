"""Inventory loading: resolution order, and errors that name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from poller import inventory
from poller.yamlfile import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        inventory.load(path)
    return info.value.problems


def test_smallest_file_from_the_issue_loads(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text("not read at load time")
    path = write(
        tmp_path,
        f"""hosts:
  web-1:
    address: web-1.lan
    user: monitor
    identity_file: {key}
  db-1:
    address: db-1.lan
    port: 2222
""",
    )
    inv = inventory.load(path)
    web, db = inv.hosts
    assert (web.name, web.address, web.user, web.identity_files) == (
        "web-1",
        "web-1.lan",
        "monitor",
        (key,),
    )
    assert (db.address, db.port, db.user) == ("db-1.lan", 2222, None)
    assert db.interval == 10.0 and db.transport == "ssh" and not db.trust_on_first_use


def test_shipped_example_polls_only_this_machine() -> None:
    inv = inventory.load(ROOT / "inventory.example.yaml")
    assert [(h.name, h.transport) for h in inv.hosts] == [("localhost", "local")]


def test_settings_resolve_defaults_then_groups_then_host(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """defaults:
  interval: 30s
  user: monitor
  labels: {dc: ams}
groups:
  web:
    hosts: [web-1]
    interval: 5s
    labels: {role: web}
  db:
    user: dbmon
hosts:
  web-1:
    labels: {role: frontend}
  db-1:
    groups: db
    interval: 1m
""",
    )
    web, db = inventory.load(path).hosts
    assert (web.interval, web.user, web.groups) == (5.0, "monitor", ("web",))
    assert dict(web.labels) == {"dc": "ams", "role": "frontend"}
    assert (db.interval, db.user, db.groups, dict(db.labels)) == (
        60.0,
        "dbmon",
        ("db",),
        {"dc": "ams"},
    )
    assert web.address == "web-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("hosts:\n  a:\n    prot: 22\n", ":3: hosts.a.prot: unknown key", id="typo"),
        pytest.param(
            "hosts:\n  a:\n    port: ssh\n",
            ":3: hosts.a.port: Input should be a valid integer",
            id="bad-type",
        ),
        pytest.param("hosts:\n  a:\n    port: 70000\n", ":3: hosts.a.port:", id="port-range"),
        pytest.param(
            "hosts:\n  a: {}\n  a: {}\n",
            ":3: hosts.a: duplicate key (first at line 2)",
            id="duplicate-host",
        ),
        pytest.param(
            "hosts:\n  a:\n    interval: soon\n",
            ":3: hosts.a.interval: Value error, expected a duration",
            id="bad-duration",
        ),
        pytest.param(
            "hosts:\n  a:\n    groups: [nope]\n",
            ":3: hosts.a.groups: no group named 'nope'",
            id="unknown-group",
        ),
        pytest.param(
            "groups:\n  g:\n    hosts: [b]\nhosts:\n  a: {}\n",
            ":3: groups.g.hosts: no host named 'b'",
            id="unknown-member",
        ),
        pytest.param(
            "hostz:\n  a: {}\n", ":1: hostz: unknown top-level key", id="unknown-top-level"
        ),
        pytest.param("hosts:\n  a:\n    address: [x\n", ": not valid YAML", id="broken-yaml"),
        pytest.param(
            "hosts:\n  'bad name':\n    port: 22\n",
            ":2: hosts.bad name: names may use",
            id="bad-name",
        ),
        pytest.param(
            "hosts:\n  a:\n    password_env: 'X-Y'\n",
            ":3: hosts.a.password_env: String should match",
            id="env-name",
        ),
        pytest.param(
            "hosts:\n  a:\n    transport: telnet\n", ":3: hosts.a.transport:", id="transport"
        ),
    ],
)
def test_invalid_file_names_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    found = problems(path)
    assert any(p.startswith(str(path)) and expected in p for p in found), found


def test_missing_key_file_is_reported_where_it_was_set(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "defaults:\n  identity_file: /nonexistent/key\nhosts:\n  a: {}\n  b: {}\n",
    )
    assert problems(path) == [
        f"{path}:2: defaults.identity_file: key file /nonexistent/key does not exist (host a)",
        f"{path}:2: defaults.identity_file: key file /nonexistent/key does not exist (host b)",
    ]


def test_secret_env_var_must_be_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSHMON_TEST_PW", raising=False)
    path = write(tmp_path, "hosts:\n  a:\n    password_env: SSHMON_TEST_PW\n")
    assert "environment variable SSHMON_TEST_PW is not set" in problems(path)[0]
    monkeypatch.setenv("SSHMON_TEST_PW", "secret")
    assert inventory.load(path).hosts[0].password_env == "SSHMON_TEST_PW"


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_host_with_no_settings_uses_its_name_as_address(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  web-1:\n  db-1: {}\n")
    assert [(h.name, h.address) for h in inventory.load(path).hosts] == [
        ("web-1", "web-1"),
        ("db-1", "db-1"),
    ]


def test_every_defined_group_is_kept_even_without_members(tmp_path: Path) -> None:
    path = write(tmp_path, "groups:\n  web: {hosts: [a]}\n  spare: {}\nhosts:\n  a: {}\n")
    assert inventory.load(path).groups == ("web", "spare")


def test_collectors_excluded_for_a_group_and_taken_back_by_a_host(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """defaults:
  collectors: {exclude: [uname]}
groups:
  old-kernels:
    hosts: [a, b]
    collectors:
      exclude: [pressure, filesystem]
hosts:
  a: {}
  b:
    collectors: {include: [filesystem]}
  c: {}
""",
    )
    inv = inventory.load(path)
    a, b, c = (inv.host(n).collectors for n in "abc")
    assert "pressure" not in a and "filesystem" not in a and "uname" not in a
    assert "pressure" not in b and "filesystem" in b
    assert "pressure" in c and "cpu" in c and "uname" not in c


def test_an_unknown_collector_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """groups:
  web:
    collectors:
      exclude: [presure]
hosts:
  a: {groups: [web]}
""",
    )
    [problem] = problems(path)
    assert problem.startswith(f"{path}:4: groups.web.collectors.exclude.0: ")
    assert "unknown collector 'presure'" in problem and "pressure" in problem


def test_textfile_dir_and_commands_resolve_by_layer_and_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """defaults:
  timeout: 30s
  textfile_dir: /var/lib/node_exporter/textfile/
  commands:
    - {name: queue_depth, run: "redis-cli llen jobs", every: 6, timeout: 3}
groups:
  db:
    hosts: [a]
    commands:
      - {name: queue_depth, run: "echo 0"}
      - {name: pg, run: "pg-metrics", format: prometheus}
hosts:
  a: {}
  b: {}
""",
    )
    inv = inventory.load(path)
    a, b = inv.host("a"), inv.host("b")
    assert a.textfile_dir == "/var/lib/node_exporter/textfile"
    assert [(c.name, c.run) for c in a.commands] == [("queue_depth", "echo 0"), ("pg", "pg-metrics")]
    assert [(c.name, c.every, c.timeout) for c in b.commands] == [("queue_depth", 6, 3)]


def test_a_command_named_like_a_builtin_metric_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """hosts:
  a:
    textfile_dir: relative/dir
    commands:
      - name: load1
        run: cat /proc/loadavg
""",
    )
    found = problems(path)
    assert any(
        p.startswith(f"{path}:3: hosts.a.textfile_dir: ") and "absolute" in p for p in found
    ), found
    assert any(
        p.startswith(f"{path}:5: hosts.a.commands.0.name: ")
        and "collides with a built-in metric" in p
        for p in found
    ), found


def test_commands_that_cannot_fit_in_the_poll_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """hosts:
  a:
    timeout: 10s
    commands:
      - {name: one, run: "sleep 1", timeout: 4}
      - {name: two, run: "sleep 1", timeout: 4}
""",
    )
    [problem] = problems(path)
    assert problem.startswith(f"{path}:4: hosts.a.commands: the commands' timeouts add up to 8 s")
