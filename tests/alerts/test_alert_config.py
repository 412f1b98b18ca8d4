"""The `alerts:` section: shipped rules, patches, and errors that name file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from alerts_helpers import config_from_yaml, host

from alerts.config import AlertsConfig
from alerts.defaults import SHIPPED
from alerts.rules import compile_rule
from alerts.state import Severity
from poller.yamlfile import ConfigError


def problems(tmp_path: Path, text: str, **kw: list[str]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config_from_yaml(tmp_path, text, **kw)
    return info.value.problems


def test_shipped_rules_are_on_by_default(tmp_path: Path) -> None:
    config = config_from_yaml(tmp_path, "hosts: {a: {}}\n")
    assert [r.name for r in config.rules] == [d["name"] for d in SHIPPED]


def test_unknown_metric_names_file_line_key_and_rule_with_a_suggestion(tmp_path: Path) -> None:
    text = (
        "hosts: {a: {}}\n"
        "alerts:\n"
        "  rules:\n"
        "    - name: busy\n"
        "      metric: cpu_bsy_percent\n"
        "      warning: 90\n"
    )
    [problem] = problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'inventory.yaml'}:5: alerts.rules.0.metric: ")
    assert "unknown metric 'cpu_bsy_percent'" in problem
    assert "rule 'busy'" in problem
    assert "did you mean cpu_busy_percent?" in problem


def test_a_misspelt_key_in_a_rule_is_reported_at_its_line(tmp_path: Path) -> None:
    text = (
        "alerts:\n"
        "  rules:\n"
        "    - name: busy\n"
        "      metric: cpu_busy_percent\n"
        "      warning: 90\n"
        "      threshhold: 3\n"
    )
    [problem] = problems(tmp_path, text)
    assert problem.startswith(
        f"{tmp_path / 'inventory.yaml'}:6: alerts.rules.0.threshhold: unknown key"
    )


def test_a_bad_duration_and_a_missing_threshold_are_both_reported(tmp_path: Path) -> None:
    text = "alerts:\n  repeat: soon\n  rules:\n    - name: busy\n      metric: cpu_busy_percent\n"
    found = problems(tmp_path, text)
    assert any(":2: alerts.repeat: " in p and "duration" in p for p in found)
    assert any(":4: alerts.rules.0" in p and "warning" in p for p in found)


def test_overrides_naming_unknown_hosts_are_caught(tmp_path: Path) -> None:
    text = (
        "alerts:\n"
        "  rules:\n"
        "    - name: busy\n"
        "      metric: cpu_busy_percent\n"
        "      warning: 90\n"
        "      hosts: {db-9: {warning: 99}}\n"
    )
    [problem] = problems(tmp_path, text, hosts=["db-1"])
    assert problem == (
        f"{tmp_path / 'inventory.yaml'}:6: alerts.rules.0.hosts.db-9: rule 'busy': "
        "no host named 'db-9' in the inventory (did you mean db-1?)"
    )


def test_defaults_can_be_patched_disabled_or_dropped(tmp_path: Path) -> None:
    config = config_from_yaml(
        tmp_path,
        "alerts:\n  defaults:\n    cpu_busy: {warning: 95}\n    swap_used: false\n",
    )
    names = {r.name: r for r in config.rules}
    assert "swap_used" not in names
    assert (names["cpu_busy"].warning, names["cpu_busy"].critical) == (95, 98)
    assert config_from_yaml(tmp_path, "alerts:\n  defaults: false\n").rules == []


def test_a_bad_patch_of_a_shipped_rule_points_at_the_patch(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "alerts:\n  defaults:\n    cpu_busy: {warning: lots}\n")
    assert ":3: alerts.defaults.cpu_busy.warning: " in problem


def test_a_rule_of_your_own_replaces_the_shipped_one_of_that_name(tmp_path: Path) -> None:
    config = config_from_yaml(
        tmp_path,
        "alerts:\n  rules:\n    - {name: memory_used, metric: mem_used_percent, critical: 99}\n",
    )
    [rule] = [r for r in config.rules if r.name == "memory_used"]
    assert (rule.warning, rule.critical) == (None, 99)


def test_group_then_host_overrides_replace_only_the_levels_they_set(tmp_path: Path) -> None:
    config = config_from_yaml(
        tmp_path,
        "alerts:\n  defaults: false\n  rules:\n"
        "    - name: fs\n      metric: fs_used_percent\n      warning: 80\n      critical: 90\n"
        "      groups: {db: {warning: 90, critical: 97}}\n"
        "      hosts: {db-1: {critical: 99}}\n",
    )
    rule = config.rules[0]
    db1 = compile_rule(rule, host("db-1", ("db",)), config)
    db2 = compile_rule(rule, host("db-2", ("db",)), config)
    web = compile_rule(rule, host("web-1", ("web",)), config)
    assert db1 and db2 and web
    assert (db1.thresholds.warning, db1.thresholds.critical) == (90, 99)
    assert (db2.thresholds.warning, db2.thresholds.critical) == (90, 97)
    assert (web.thresholds.warning, web.thresholds.critical) == (80, 90)
    # hosts with equal levels and timing share them (issue 15: ~8 KB a host otherwise)
    db3 = compile_rule(rule, host("db-3", ("db",)), config)
    assert db3 and db3.thresholds is db2.thresholds and db3.params is db2.params
    assert db1.thresholds is not db2.thresholds and db1.params is db2.params


def test_scope_by_group_label_and_exclusion(tmp_path: Path) -> None:
    config = config_from_yaml(
        tmp_path,
        "alerts:\n  defaults: false\n  rules:\n"
        "    - name: fs\n      metric: fs_used_percent\n      warning: 80\n"
        "      scope: {groups: [db], labels: {tier: gold}, exclude: [db-3]}\n",
    )
    rule = config.rules[0]
    assert compile_rule(rule, host("db-1", ("db",)), config) is not None
    assert compile_rule(rule, host("x", (), tier="gold"), config) is not None
    assert compile_rule(rule, host("y", (), tier="tin"), config) is None
    assert compile_rule(rule, host("db-3", ("db",)), config) is None


def test_route_repeat_applies_to_the_severities_it_receives() -> None:
    config = AlertsConfig.model_validate(
        {
            "defaults": False,
            "repeat": "4h",
            "rules": [{"name": "m", "metric": "mem_used_percent", "warning": 80, "critical": 90}],
            "routes": [
                {"name": "pager", "urls": ["json://x"], "severity": ["critical"], "repeat": "30m"}
            ],
        }
    )
    compiled = compile_rule(config.rules[0], host("a"), config)
    assert compiled is not None
    assert compiled.params[Severity.CRITICAL].repeat_s == 1800
    assert compiled.params[Severity.WARNING].repeat_s == 4 * 3600


def test_a_broken_message_template_is_a_config_error(tmp_path: Path) -> None:
    text = (
        "alerts:\n  rules:\n    - name: m\n      metric: mem_used_percent\n"
        "      warning: 80\n      message: '{{ host '\n"
    )
    [problem] = problems(tmp_path, text)
    assert "alerts.rules.0" in problem and "message template" in problem


SCOPED = (
    "alerts:\n"
    "  rules:\n"
    "    - name: busy\n"
    "      metric: cpu_busy_percent\n"
    "      warning: 90\n"
    "      scope:\n"
    "        hosts: [db-1, db-9]\n"
    "        groups:\n"
    "          - web\n"
    "          - dbs\n"
    "        exclude: [db-7]\n"
)


def test_unknown_scope_hosts_and_groups_point_at_the_entry_not_the_rule(tmp_path: Path) -> None:
    found = problems(tmp_path, SCOPED, hosts=["db-1"], groups=["web", "db"])
    path = tmp_path / "inventory.yaml"
    assert found == [
        f"{path}:7: alerts.rules.0.scope.hosts.1: rule 'busy': no host named 'db-9' in the "
        "inventory (did you mean db-1?)",
        f"{path}:11: alerts.rules.0.scope.exclude.0: rule 'busy': no host named 'db-7' in the "
        "inventory (did you mean db-1?)",
        f"{path}:10: alerts.rules.0.scope.groups.1: rule 'busy': no group named 'dbs' in the "
        "inventory (did you mean db?)",
    ]


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ("{name: x, metric: mem_used_percent, warning: 90, devices: [sda]}", "devices"),
        ("{name: x, poll: down, exclude_devices: [lo]}", "exclude_devices"),
    ],
    ids=["host-wide-metric", "poll-rule"],
)
def test_devices_on_a_rule_without_devices_is_an_error(tmp_path: Path, rule: str, key: str) -> None:
    [problem] = problems(tmp_path, f"alerts:\n  rules:\n    - {rule}\n")
    assert problem.startswith(f"{tmp_path / 'inventory.yaml'}:3: alerts.rules.0.{key}: rule 'x': ")
    assert "has no devices, it is one value per host" in problem


def test_devices_on_a_per_device_metric_are_fine(tmp_path: Path) -> None:
    text = "alerts:\n  rules:\n    - {name: x, metric: fs_used_percent, warning: 9, devices: [/]}\n"
    config = config_from_yaml(tmp_path, text)
    assert config.rules[-1].devices == ["/"]


def test_user_metrics_are_named_with_the_custom_prefix(tmp_path: Path) -> None:
    ok = (
        "hosts: {a: {}}\n"
        "alerts:\n"
        "  rules:\n"
        "    - name: backup-old\n"
        "      metric: custom:backup_age_seconds\n"
        "      devices: ['job=\"db\"']\n"
        "      warning: 86400\n"
    )
    config = config_from_yaml(tmp_path, ok)
    assert any(r.metric == "custom:backup_age_seconds" for r in config.rules)
    bad = ok.replace("custom:backup_age_seconds", "custom:node_load1")
    [problem] = problems(tmp_path, bad)
    assert problem.startswith(f"{tmp_path / 'inventory.yaml'}:5: alerts.rules.0.metric: ")
    assert "collides with a built-in metric" in problem
