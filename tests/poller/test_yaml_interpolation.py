"""`${VAR}` in the config file: expanded from the environment in every section, with an
error naming file, line, key and variable when one is unset; `$${VAR}` stays literal."""

from __future__ import annotations

from pathlib import Path

import pytest

from poller import yamlfile
from poller.yamlfile import ConfigError
from sshmon import config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


def test_variables_expand_in_every_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
hosts:
  web-1:
    transport: local
    labels: {site: "${SITE}-east"}
poller:
  data_dir: ${STATE}/sshmon
database:
  url: chdb://${STATE}/db
web:
  port: ${PORT}
""",
    )
    env = {"SITE": "ams", "STATE": str(tmp_path), "PORT": "9090"}
    loaded = config.load(path, env)
    assert loaded.inventory.host("web-1").labels == (("site", "ams-east"),)
    assert loaded.poller.data_path() == tmp_path / "sshmon"
    assert loaded.database.url == f"chdb://{tmp_path}/db"
    assert loaded.web.port == 9090  # "9090" converted by the model, as a quoted value is


def test_unset_variable_names_file_line_key_and_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "hosts:\n  web-1: {transport: local}\npoller:\n  data_dir: ${NOPE}/x\n")
    with pytest.raises(ConfigError) as info:
        config.load(path, {})
    assert info.value.problems == [
        f"{path}:4: poller.data_dir: environment variable NOPE is not set"
    ]


def test_every_unset_variable_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "a: ${ONE}\nb:\n  - x${TWO}y\n")
    with pytest.raises(ConfigError) as info:
        yamlfile.load(path, {})
    assert info.value.problems == [
        f"{path}:1: a: environment variable ONE is not set",
        f"{path}:3: b.0: environment variable TWO is not set",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("'$${HOME}'", "${HOME}", id="escaped"),
        pytest.param("'cost $5'", "cost $5", id="lone-dollar"),
        pytest.param("'${X}${X}'", "11", id="twice"),
        pytest.param("'{X}'", "{X}", id="no-dollar"),
    ],
)
def test_escapes_and_plain_dollars(tmp_path: Path, value: str, expected: str) -> None:
    path = write(tmp_path, f"a: {value}\n")
    assert yamlfile.load(path, {"X": "1"}).data == {"a": expected}


def test_bad_variable_name_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a: ${not-a-name}\n")
    with pytest.raises(ConfigError) as info:
        yamlfile.load(path, {})
    assert info.value.problems == [
        f"{path}:1: a: ${{not-a-name}} is not a variable name (write $${{…}} for a literal ${{…}})"
    ]


def test_keys_numbers_and_other_tags_are_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "${K}: 1\nb: 2\n")
    assert yamlfile.load(path, {}).data == {"${K}": 1, "b": 2}


def test_interpolation_can_be_turned_off_for_foreign_files(tmp_path: Path) -> None:
    path = write(tmp_path, "a: ${UNSET}\n")
    assert yamlfile.load(path, {}, interpolate=False).data == {"a": "${UNSET}"}
