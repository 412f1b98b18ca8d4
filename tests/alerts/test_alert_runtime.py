"""Reloading the alerts part of a running sshmon: rules, routes and hosts, all or nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from alerts_helpers import Receiver

from alerts import runtime
from alerts.errors import NotifyConfigError
from sshmon import config


def write(path: Path, routes: str) -> None:
    path.write_text(
        f"poller:\n  data_dir: {path.parent / 'data'}\n"
        "hosts:\n  web-1: {address: 127.0.0.1}\n"
        f"alerts:\n  defaults: false\n  routes:\n{routes}",
        encoding="utf-8",
    )


async def test_routes_reload_with_the_rules_and_a_refused_route_changes_nothing(
    tmp_path: Path, receiver: Receiver
) -> None:
    path = tmp_path / "inventory.yaml"
    write(path, f"    - {{name: ops, urls: ['{receiver.url('ops')}']}}\n")
    rt = runtime.build(config.load(path).alerts_loaded(), link_base="http://mon.example:8080")
    await rt.start()
    try:
        write(
            path,
            f"    - {{name: ops, urls: ['{receiver.url('ops')}']}}\n"
            f"    - {{name: local-json, urls: ['{receiver.url('local')}']}}\n",
        )
        rt.reconfigure(config.load(path).alerts_loaded())
        assert rt.notifier.routes == ["ops", "local-json"]
        assert [r.name for r in rt.dispatcher.config.routes] == ["ops", "local-json"]
        assert rt.engine.config.link_base == "http://mon.example:8080"  # kept over reloads

        # the loader refuses such a file already; a route Apprise refuses that got past it
        # must still change nothing
        good = config.load(path).alerts_loaded()
        ops = good.config.routes[0].model_copy(update={"urls": ["nosuchscheme://x"]})
        bad = replace(good, config=good.config.model_copy(update={"routes": [ops]}))
        with pytest.raises(NotifyConfigError, match="route 'ops'"):
            rt.reconfigure(bad)
        assert rt.notifier.routes == ["ops", "local-json"]
        assert [r.name for r in rt.engine.config.routes] == ["ops", "local-json"]
    finally:
        await rt.stop()
