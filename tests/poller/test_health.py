"""sshmon's own health metrics."""

from __future__ import annotations

from poller.health import PollHealth
from poller.points import HostState, PollStatus


def status(host: str, state: HostState, duration: float, ts: float = 100.0) -> PollStatus:
    return PollStatus(host, ts, state, "" if state is HostState.OK else "why", duration)


def test_counts_results_and_fills_histogram_cumulatively() -> None:
    health = PollHealth()
    health.observe(status("a", HostState.OK, 0.004))
    health.observe(status("a", HostState.OK, 0.3))
    health.observe(status("b", HostState.TIMEOUT, 10.0))
    text = health.render({"sshmon_spool_bytes": 0})
    assert 'sshmon_polls_total{host="a",result="ok"} 2' in text
    assert 'sshmon_polls_total{host="b",result="timeout"} 1' in text
    assert 'sshmon_poll_duration_seconds_bucket{le="0.005"} 1' in text
    assert 'sshmon_poll_duration_seconds_bucket{le="0.5"} 2' in text
    assert 'sshmon_poll_duration_seconds_bucket{le="10.0"} 3' in text
    assert 'sshmon_poll_duration_seconds_bucket{le="+Inf"} 3' in text
    assert "sshmon_poll_duration_seconds_count 3" in text
    assert 'sshmon_host_up{host="b",state="timeout"} 0' in text
    assert "sshmon_spool_bytes 0" in text


def test_hostile_host_names_are_escaped_and_removed_hosts_forgotten() -> None:
    health = PollHealth()
    health.observe(status('x"} evil 1\n', HostState.OK, 0.01))
    text = health.render()
    assert 'host="x\\"} evil 1\\n"' in text
    health.forget(['x"} evil 1\n'])
    assert "evil" not in health.render()
