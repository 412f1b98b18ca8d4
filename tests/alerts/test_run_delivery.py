"""Delivery through a real `sshmon run` survives SIGKILL, takes routes added while running,
and groups an outage into one message per route (issue 9)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from alerts_helpers import Receiver
from run_helpers import SSHMON, Run, down_host, free_port, settle, titles, up_host

QUIET = "  defaults: {cpu_busy: false, stale_data: false}\n"


def refused(port: int) -> str:
    """The reason a refused connect gives: the entry, and the address and port it tried."""
    return f"web-1 (127.0.0.1:{port}) refused the connection (nothing listening?)"


def route(name: str, url: str, wait: str = "0s", interval: str = "1m") -> str:
    return (
        f'    - name: {name}\n      urls: ["{url}"]\n'
        f"      group_wait: {wait}\n      group_interval: {interval}\n"
    )


def test_sigkill_before_delivery_then_restart_sends_exactly_once(tmp_path: Path) -> None:
    port = free_port()  # the receiver is not answering yet
    with Run(tmp_path) as run:
        alerts = QUIET + "  retry: {first_delay: 1s}\n  routes:\n"
        run.write(
            down_host("web-1", down := free_port()),
            alerts + route("hook", f"json://127.0.0.1:{port}/hook"),
        )
        run.start()
        run.wait_log("outcome=failed")  # the transition is persisted, its delivery failed
        run.kill()
        with Receiver(port) as receiver:
            run.start()
            [message] = receiver.wait_for(1, timeout=60)
            settle(6)  # nothing more may come: not a second copy, not a new FIRING
            run.stop()
        assert titles(receiver.received) == [f"[FIRING] web-1: host_down: {refused(down)}"]
        assert f"Host: http://127.0.0.1:{run.web_port}/hosts/web-1" in message["message"]


def test_sigkill_right_after_a_page_does_not_repeat_it(tmp_path: Path, receiver: Receiver) -> None:
    with Run(tmp_path) as run:
        run.write(
            down_host("web-1", down := free_port()),
            QUIET + "  routes:\n" + route("hook", receiver.url()),
        )
        run.start()
        run.wait_log("outcome=sent")  # the route took it, and we know it
        run.kill()  # well within the old 5 s persistence tick
        run.start()
        run.wait_log("sshmon running")
        settle(10)
        run.stop()
        assert titles(receiver.received) == [f"[FIRING] web-1: host_down: {refused(down)}"]


def test_a_route_and_rule_added_while_running_deliver_after_sighup(
    tmp_path: Path, receiver: Receiver
) -> None:
    with Run(tmp_path) as run:
        hosts = up_host("here")
        run.write(hosts, "  defaults: false\n  routes:\n" + route("hook", receiver.url("hook")))
        run.start()
        run.wait_log("sshmon running")
        rule = (
            "  rules:\n    - name: booted\n      metric: uptime_seconds\n      critical: 1\n"
            '      message: "up for a while"\n'
        )
        routes = route("hook", receiver.url("hook")) + route("local-json", receiver.url("local"))
        run.write(hosts, "  defaults: false\n" + rule + "  routes:\n" + routes)
        run.hup()
        received = receiver.wait_for(2, timeout=60)
        settle(3)
        out = run.stop()
    assert sorted(receiver.paths) == ["/hook", "/local"]
    assert titles(received) == ["[FIRING] here: up for a while"] * 2
    assert "no route" not in out and "take effect when sshmon restarts" not in out


def test_removed_host_resolves_and_added_host_sends_nothing(
    tmp_path: Path, receiver: Receiver
) -> None:
    alerts = "  defaults: {cpu_busy: false, load_per_core: false}\n  stale_after: 4s\n"
    alerts += "  routes:\n" + route("hook", receiver.url(), wait="2s", interval="2s")
    web1, web2 = down_host("web-1", free_port()), down_host("web-2", free_port())
    with Run(tmp_path) as run:
        run.write(web1 + web2, alerts)
        run.start()
        assert len(receiver.wait_for(1, timeout=60)) == 1
        run.write(web1 + up_host("new-1"), alerts)
        run.hup()
        run.wait_log("inventory reloaded")
        received = receiver.wait_for(2, timeout=30)
        settle(10)  # past stale_after: nothing for the removed host, nothing for the new one
        run.stop()
    assert titles(received)[0] == "[FIRING] host_down on 2 hosts: web-1, web-2"
    assert titles(receiver.received)[1:] == [
        "[RESOLVED] web-2: host_down resolved: host removed from the inventory after "
        + titles(receiver.received)[1].rsplit("after ", 1)[1]
    ]


def test_a_silence_expiring_over_twelve_down_hosts_is_one_message_per_route(
    tmp_path: Path, receiver: Receiver
) -> None:
    names = [f"h{i:02d}" for i in range(1, 13)]
    hosts = "".join(down_host(n, free_port()) for n in names)
    routes = route("a", receiver.url("a"), wait="1s") + route("b", receiver.url("b"), wait="1s")
    with Run(tmp_path) as run:
        run.write(hosts, QUIET + "  routes:\n" + routes)
        subprocess.run(
            [
                str(SSHMON),
                "alerts",
                "silence",
                "add",
                "--rule",
                "host_down",
                "--for",
                "15s",
                "-i",
                str(run.inventory),
            ],
            check=True,
            capture_output=True,
        )
        run.start()
        received = receiver.wait_for(2, timeout=90)
        settle(5)
        run.stop()
    expected = "[FIRING] host_down on 12 hosts: " + ", ".join(names)
    assert titles(receiver.received) == [expected, expected]
    assert sorted(receiver.paths) == ["/a", "/b"]
    assert all(len(m["message"].splitlines()) == 12 for m in received)
