"""Composite (`all:`) rules and inhibition, the engine stepped through time."""

from __future__ import annotations

from pathlib import Path

import pytest
from alerts_helpers import config_from_yaml, failed, host, ok, pt

from alerts.config import AlertsConfig
from alerts.engine import AlertEngine
from alerts.messages import Notice
from alerts.state import Change
from poller.points import Point
from poller.yamlfile import ConfigError

BASE = {
    "defaults": False,
    "flap": {"changes": 0},
    "stale_after": "30d",
    "series_gone_after": "10m",
    "routes": [{"name": "ops", "urls": ["json://127.0.0.1:9/x"]}],
}
BUSY_IO = {
    "name": "busy_io",
    "all": [
        {"metric": "load1_per_core", "above": 2},
        {"metric": "cpu_iowait_percent", "above": 20},
    ],
    "severity": "warning",
    "for": "20s",
}


class Sent:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def submit(self, notice: Notice) -> None:
        self.notices.append(notice)


def engine(rules: list[dict[str, object]]) -> tuple[AlertEngine, Sent]:
    sent = Sent()
    config = AlertsConfig.model_validate({**BASE, "rules": rules})
    e = AlertEngine(config, [host("web-1")], notifier=sent, clock=lambda: 0.0)
    e.load(0.0)
    return e, sent


def poll(e: AlertEngine, t: float, *points: Point) -> list[tuple[str, str, Change]]:
    return [(c.rule, c.dev, c.change) for c in e.observe(ok("web-1", t), list(points), t)]


def load(t: float, v: float) -> Point:
    return pt("web-1", "load1_per_core", v, t)


def iowait(t: float, v: float) -> Point:
    return pt("web-1", "cpu_iowait_percent", v, t)


def test_a_composite_fires_only_while_both_conditions_hold_for_its_duration() -> None:
    e, sent = engine([BUSY_IO])
    assert poll(e, 0, load(0, 3), iowait(0, 5)) == []  # load alone is not enough
    assert poll(e, 10, load(10, 1), iowait(10, 30)) == []  # nor iowait alone
    assert poll(e, 20, load(20, 3), iowait(20, 30)) == [("busy_io", "", Change.PENDING)]
    assert poll(e, 30, load(30, 3), iowait(30, 25)) == []
    assert poll(e, 40, load(40, 3), iowait(40, 25)) == [("busy_io", "", Change.FIRING)]
    assert [n.severity for n in sent.notices] == ["warning"]
    assert "busy_io: all its conditions hold" in sent.notices[0].text
    assert poll(e, 50, load(50, 3), iowait(50, 1)) == [("busy_io", "", Change.RESOLVED)]


def test_a_composite_meets_the_latest_value_of_a_condition_not_in_this_poll() -> None:
    e, _ = engine([{**BUSY_IO, "for": 0}])
    assert poll(e, 0, iowait(0, 30)) == []  # load not seen yet: unknown, nothing happens
    assert poll(e, 10, load(10, 3)) == [("busy_io", "", Change.FIRING)]
    # a value older than series_gone_after (10 m) is no value: the rule cannot be judged
    e2, _ = engine([{**BUSY_IO, "for": 0}])
    poll(e2, 0, iowait(0, 30))
    assert poll(e2, 700, load(700, 3)) == []


def test_a_composite_pairs_conditions_on_the_same_device() -> None:
    rule = {
        "name": "slow_and_busy",
        "all": [
            {"metric": "disk_write_await_seconds", "above": 0.5},
            {"metric": "disk_util_percent", "above": 80},
        ],
        "severity": "critical",
    }
    e, _ = engine([rule])
    # sda is slow but idle, sdb slow and busy, sdc busy but fast: only sdb has both
    wait = [pt("web-1", "disk_write_await_seconds", v, 0, d) for d, v in (("sda", 1), ("sdb", 1))]
    util = [pt("web-1", "disk_util_percent", v, 0, d) for d, v in (("sda", 10), ("sdb", 90))]
    util += [pt("web-1", "disk_util_percent", 99, 0, "sdc")]
    assert poll(e, 0, *wait, *util) == [("slow_and_busy", "sdb", Change.FIRING)]


def test_a_host_wide_condition_pairs_with_every_device_of_the_other() -> None:
    rule = {
        "name": "full_and_loaded",
        "all": [
            {"metric": "fs_used_percent", "above": 90},
            {"metric": "load1_per_core", "above": 2},
        ],
        "severity": "warning",
    }
    e, _ = engine([rule])
    fs = [pt("web-1", "fs_used_percent", v, 0, dev) for dev, v in (("/", 95), ("/var", 50))]
    assert poll(e, 0, *fs, load(0, 3)) == [("full_and_loaded", "/", Change.FIRING)]
    # the next poll brings load only: every device seen is judged again
    assert poll(e, 10, load(10, 1)) == [("full_and_loaded", "/", Change.RESOLVED)]


def test_an_inhibited_alert_fires_but_is_held_until_its_inhibitor_stops() -> None:
    e, sent = engine(
        [
            {"name": "host_down", "poll": "down", "failures": 1, "inhibits": ["stale"]},
            {"name": "load", "metric": "load1_per_core", "warning": 2, "inhibited_by": ["mem"]},
            {"name": "mem", "metric": "mem_used_percent", "critical": 90},
        ]
    )
    assert poll(e, 0, pt("web-1", "mem_used_percent", 95, 0)) == [("mem", "", Change.FIRING)]
    assert poll(e, 10, load(10, 3), pt("web-1", "mem_used_percent", 95, 10)) == [
        ("load", "", Change.FIRING)
    ]
    assert [n.rule for n in sent.notices] == ["mem"]  # load fires, held: nothing sent
    assert e.quiet(("load", "web-1", ""), 10) == ("inhibited", "inhibited by mem")
    assert poll(e, 20, load(20, 3), pt("web-1", "mem_used_percent", 40, 20)) == [
        ("mem", "", Change.RESOLVED)
    ]
    e.tick(30)  # what held it has ended: now it is sent
    assert [(n.rule, n.change) for n in sent.notices][-2:] == [
        ("mem", Change.RESOLVED),
        ("load", Change.FIRING),
    ]
    assert e.quiet(("load", "web-1", ""), 30) is None


def test_inhibits_and_inhibited_by_must_name_rules_that_exist(tmp_path: Path) -> None:
    text = """hosts: {web-1: {}}
alerts:
  defaults: false
  rules:
    - {name: mem, metric: mem_used_percent, warning: 90, inhibits: [lod]}
    - {name: load, metric: load1_per_core, warning: 2, inhibited_by: [load]}
"""
    with pytest.raises(ConfigError) as caught:
        config_from_yaml(tmp_path, text)
    problems = caught.value.problems
    assert any(
        ":5: alerts.rules.0.inhibits.0: rule 'mem': no rule named 'lod' (did you mean load?)" in p
        for p in problems
    ), problems
    assert any(
        "alerts.rules.1.inhibited_by.0" in p and "cannot inhibit itself" in p for p in problems
    )


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"name": "x", "all": [{"metric": "load1_per_core", "above": 1}]}, "two or more"),
        (
            {
                "name": "x",
                "all": [{"metric": "load1_per_core", "above": 1}, {"metric": "mem_used_percent"}],
            },
            "exactly one of `above:` or `below:`",
        ),
        ({**BUSY_IO, "warning": 3}, "fires at its `severity:`"),
        ({**BUSY_IO, "metric": "mem_used_percent"}, "exactly one of `metric:`, `poll:` or `all:`"),
    ],
    ids=["one-condition", "no-bound", "thresholds", "metric-and-all"],
)
def test_a_malformed_composite_is_refused_with_its_line(
    tmp_path: Path, rule: dict[str, object], words: str
) -> None:
    import yaml

    text = yaml.safe_dump({"hosts": {"web-1": {}}, "alerts": {"defaults": False, "rules": [rule]}})
    with pytest.raises(ConfigError) as caught:
        config_from_yaml(tmp_path, text)
    assert any("inventory.yaml:" in p and words in p for p in caught.value.problems), caught.value


def test_an_unknown_metric_in_a_condition_points_at_it(tmp_path: Path) -> None:
    text = """hosts: {web-1: {}}
alerts:
  defaults: false
  rules:
    - name: x
      all:
        - {metric: load1_per_core, above: 2}
        - {metric: cpu_iowat_percent, above: 20}
"""
    with pytest.raises(ConfigError) as caught:
        config_from_yaml(tmp_path, text)
    assert caught.value.problems == [
        f"{tmp_path / 'inventory.yaml'}:8: alerts.rules.0.all.1.metric: rule 'x': unknown "
        "metric 'cpu_iowat_percent' (did you mean cpu_iowait_percent?)"
    ]


def test_a_down_host_holds_its_composite_like_its_metric_alerts() -> None:
    e, sent = engine([{"name": "host_down", "poll": "down", "failures": 1}, {**BUSY_IO, "for": 0}])
    poll(e, 0, load(0, 3), iowait(0, 30))
    assert [n.rule for n in sent.notices] == ["busy_io"]
    changes = e.observe(failed("web-1", 10), [], 10)
    assert [(c.rule, c.change) for c in changes] == [("host_down", Change.FIRING)]
    assert e.quiet(("busy_io", "web-1", ""), 10) == ("suppressed", "host down")
