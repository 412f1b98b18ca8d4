"""Restarts and kills of a real `sshmon run` never re-page, never lose a page (issue 9)."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

from alerts_helpers import Receiver
from run_helpers import Run, down_host, free_port, settle, titles, up_host

ROUTE = """  routes:
    - name: hook
      urls: ["{url}"]
      group_wait: 0s
"""


def alerts_section(receiver_url: str, extra: str = "") -> str:
    return (
        "  defaults: {host_down: {failures: 3}, cpu_busy: false, stale_data: false}\n"
        + extra
        + ROUTE.format(url=receiver_url)
    )


def test_a_restart_of_a_still_down_host_sends_nothing(tmp_path: Path, receiver: Receiver) -> None:
    with Run(tmp_path) as run:
        run.write(down_host("web-1", free_port()), alerts_section(receiver.url()))
        run.start()
        first = receiver.wait_for(1, timeout=60)
        assert titles(first)[0].startswith("[FIRING] web-1: host_down")
        ack = {"rule": "host_down", "host": "web-1", "dev": "", "author": "t", "comment": "on it"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{run.web_port}/api/v1/alerts/ack",
            data=json.dumps(ack).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        for _ in range(2):  # the second restart used to send [FLAPPING]
            run.stop()
            run.start()
            run.wait_log("alert host_down host=web-1", timeout=5, count=0)
            run.wait_log("sshmon running")
            # past 3 failed polls after the restart, and the 5 s tick
            run.wait_log("poll web-1", timeout=30, count=0)
            settle(8)
        out = run.stop()
        assert titles(receiver.received) == titles(first), out
        assert "change=resolved" not in run.output(whole=True)


def history(port: int, host: str) -> list[dict[str, object]]:
    # host_down only: load_per_core may really be pending on a shared test machine
    url = f"http://127.0.0.1:{port}/api/v1/alerts/history?host={host}&rule=host_down"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return list(json.loads(answer.read()))


def test_starts_leave_no_noise_and_a_resolve_says_what_happened(
    tmp_path: Path, receiver: Receiver
) -> None:
    # the shipped rules, cpu_busy included: starting twice must not touch the history
    alerts = "  defaults: {stale_data: false}\n" + ROUTE.format(url=receiver.url())
    with Run(tmp_path) as run:
        run.write(down_host("web-1", down := free_port()), alerts)
        run.start()
        [fired] = receiver.wait_for(1, timeout=60)
        run.stop()
        run.start()
        run.wait_log("sshmon running")
        run.write(up_host("web-1"), alerts)  # the host answers again
        run.hup()
        received = receiver.wait_for(2, timeout=60)
        deadline = time.monotonic() + 30
        while len(events := history(run.web_port, "web-1")) < 2:
            assert time.monotonic() < deadline, events
            time.sleep(0.5)
        run.stop()
    assert titles([fired]) == [
        f"[FIRING] web-1: host_down: web-1 (127.0.0.1:{down}) refused the connection "
        "(nothing listening?)"
    ]
    resolved = titles(received)[1]
    assert resolved.startswith("[RESOLVED] web-1: host_down resolved: polls succeed again after ")
    assert [(e["rule"], e["state"]) for e in reversed(events)] == [
        ("host_down", "firing"),
        ("host_down", "resolved"),
    ]
    assert "alert cpu_busy" not in run.output(whole=True)
