"""Ansible inventories (INI and YAML) converted to sshmon's, and loaded back by sshmon's own
loader: what `sshmon inventory import ansible` prints must pass `sshmon config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from poller import ansible, ansible_read
from poller.yamlfile import ConfigError
from sshmon import config
from sshmon.cli import app
from sshmon.cli_inventory import render

runner = CliRunner()

INI = """\
# production
mail.example.com ansible_host=192.0.2.5

[webservers]
web[01:03].example.com ansible_user=deploy
lb.example.com:2222

[dbservers]
db-a.example.com ansible_host=10.0.0.21 ansible_port=5522 ansible_ssh_private_key_file={key}
db-b.example.com ansible_password=hunter2

[europe:children]
webservers
dbservers

[europe:vars]
ansible_user=eu-monitor
ntp_server=ntp.eu.example.com

[all:vars]
ansible_port=22
"""

YAML = """\
all:
  vars:
    ansible_user: monitor
  hosts:
    mail.example.com:
      ansible_host: 192.0.2.5
  children:
    webservers:
      hosts:
        web[1:2].example.com:
        localhost:
          ansible_connection: local
    dbservers:
      vars:
        ansible_port: 2222
      hosts:
        db-[a:b].example.com:
      children:
        replicas:
          hosts:
            replica1.example.com:
              ansible_port: 2223
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        ansible.load(path)
    return info.value.problems


def round_trip(tmp_path: Path, source: Path) -> config.Config:
    """What the command writes, read by the loader every sshmon command uses."""
    out = tmp_path / "inventory.yaml"
    out.write_text(render(source, ansible.load(source).data))
    return config.load(out, {})


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "deploy_key"
    path.write_text("not read when the file is checked")
    return path


def test_ini_hosts_groups_and_connection_vars(tmp_path: Path, key: Path) -> None:
    source = write(tmp_path, "hosts", INI.format(key=key))
    loaded = round_trip(tmp_path, source)
    inv = loaded.inventory
    assert [h.name for h in inv.hosts] == [
        "mail.example.com", "web01.example.com", "web02.example.com", "web03.example.com",
        "lb.example.com", "db-a.example.com", "db-b.example.com",
    ]
    db_a = inv.host("db-a.example.com")
    assert (db_a.address, db_a.port, db_a.identity_files) == ("10.0.0.21", 5522, (key,))
    # Ansible's precedence kept: all:vars < group vars < host vars
    assert inv.host("web01.example.com").user == "deploy"
    assert inv.host("db-b.example.com").user == "eu-monitor"
    assert inv.host("mail.example.com").user is None
    assert inv.host("mail.example.com").port == 22
    assert inv.host("lb.example.com").port == 2222  # host:port form
    # children flattened: a member of webservers is in europe too
    assert inv.host("web02.example.com").groups == ("europe", "webservers")
    assert set(inv.groups) == {"europe", "webservers", "dbservers"}


def test_passwords_are_never_copied(tmp_path: Path, key: Path) -> None:
    source = write(tmp_path, "hosts", INI.format(key=key))
    converted = ansible.load(source)
    assert "hunter2" not in render(source, converted.data)
    assert converted.notes == [
        f"{source}:10: host db-b.example.com: ansible_password not copied: put the secret "
        "in an environment variable and name it with password_env"
    ]


def test_hosts_sshmon_cannot_reach_over_ssh_are_pointed_out(tmp_path: Path) -> None:
    source = write(tmp_path, "hosts.ini", "[win]\nbox1 ansible_connection=winrm\n[lin]\nl1 ansible_connection=ssh\n")
    assert ansible.load(source).notes == [
        f"{source}:2: host box1: ansible_connection=winrm: sshmon polls over SSH (or "
        "`transport: local`); check this one"
    ]


def test_yaml_form_with_nested_children(tmp_path: Path) -> None:
    source = write(tmp_path, "hosts.yml", YAML)
    inv = round_trip(tmp_path, source).inventory
    assert inv.host("localhost").transport == "local"
    assert inv.host("db-b.example.com").port == 2222
    assert inv.host("replica1.example.com").port == 2223  # host beats its group
    assert inv.host("replica1.example.com").groups == ("dbservers", "replicas")
    assert inv.host("web1.example.com").user == "monitor"  # all: vars → defaults


def test_yaml_without_extension_is_recognised(tmp_path: Path) -> None:
    source = write(tmp_path, "inventory", YAML)
    assert "replica1.example.com" in ansible.load(source).data["hosts"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param("web[01:03]", ["web01", "web02", "web03"], id="zero-padded"),
        pytest.param("web[8:10]", ["web8", "web9", "web10"], id="unpadded"),
        pytest.param("db-[a:c]", ["db-a", "db-b", "db-c"], id="letters"),
        pytest.param("n[0:6:3]", ["n0", "n3", "n6"], id="stride"),
        pytest.param("r[1:2]-[a:b]", ["r1-a", "r1-b", "r2-a", "r2-b"], id="two-ranges"),
        pytest.param("plain", ["plain"], id="no-range"),
    ],
)
def test_ranges(pattern: str, expected: list[str]) -> None:
    assert list(ansible_read.expand_ranges(pattern)) == expected


def test_ini_mistakes_name_file_and_line(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "hosts.ini",
        "[web]\nweb1 ansible_port=abc\nweb2 novalue\n[web:vars\nx=1\n[db]\nd[a:9]\n",
    )
    assert problems(source) == [
        f"{source}:3: web2: expected key=value, got 'novalue'",
        f"{source}:4: not a section header: '[web:vars'",
        f"{source}:7: d[a:9]: range [a:9] must be numbers or single letters",
        f"{source}:2: host web1: ansible_port: not a port number ('abc')",
    ]


def test_yaml_mistakes_name_file_and_line(tmp_path: Path) -> None:
    source = write(
        tmp_path,
        "hosts.yml",
        "all:\n  hosts:\n    a.example.com:\n      ansible_host: '{{ x }}.lan'\n  childs: {}\n",
    )
    assert problems(source) == [
        f"{source}:5: all.childs: unknown group key (a group has hosts, children and vars)",
        f"{source}:4: host a.example.com: ansible_host: Jinja2 templates are not evaluated "
        "here ('{{ x }}.lan'); write the value out",
    ]


def test_names_sshmon_cannot_use_are_reported(tmp_path: Path) -> None:
    source = write(tmp_path, "hosts.ini", "[v6]\n2001:db8::1\n")
    assert problems(source) == [
        f"{source}:2: 2001:db8::1: sshmon host names may use letters, digits, '.', '_' and "
        "'-' (up to 128); rename it and set ansible_host"
    ]


def test_cli_prints_yaml_that_config_check_accepts(
    tmp_path: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSHMON_DATA_DIR", str(tmp_path / "data"))
    source = write(tmp_path, "hosts", INI.format(key=key))
    printed = runner.invoke(app, ["inventory", "import", "ansible", str(source)])
    assert printed.exit_code == 0, printed.output
    body = printed.stdout
    assert yaml.safe_load(body)["hosts"]["db-a.example.com"]["port"] == 5522
    out = write(tmp_path, "inventory.yaml", body)
    checked = runner.invoke(app, ["config", "check", "-i", str(out)])
    assert checked.exit_code == 0, checked.output
    assert "7 hosts, 3 groups" in checked.stdout


def test_cli_output_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source = write(tmp_path, "hosts.yml", YAML)
    out = write(tmp_path, "inventory.yaml", "precious: true\n")
    refused = runner.invoke(app, ["inventory", "import", "ansible", str(source), "-o", str(out)])
    assert refused.exit_code == 2
    assert f"{out} exists; pass --force to overwrite it" in refused.stderr
    assert out.read_text() == "precious: true\n"
    forced = runner.invoke(
        app, ["inventory", "import", "ansible", str(source), "-o", str(out), "--force"]
    )
    assert forced.exit_code == 0, forced.output
    assert "replica1.example.com" in out.read_text()


def test_cli_mistake_is_one_line_per_problem_without_trace(tmp_path: Path) -> None:
    source = write(tmp_path, "hosts.ini", "[web]\nweb1 ansible_port=abc\n")
    result = runner.invoke(app, ["inventory", "import", "ansible", str(source)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{source}:2: host web1: ansible_port: not a port number ('abc')"
    )
    assert "Traceback" not in result.output
