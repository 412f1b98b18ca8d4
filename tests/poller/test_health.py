"""sshmon's own health metrics, as prometheus_client families."""

from __future__ import annotations

from prometheus_client.exposition import generate_latest

from poller.health import PollHealth
from poller.points import HostState, PollStatus


def status(host: str, state: HostState, duration: float, ts: float = 100.0) -> PollStatus:
    return PollStatus(host, ts, state, "" if state is HostState.OK else "why", duration)


def text(health: PollHealth) -> str:
    return generate_latest(health).decode()


def test_counts_results_and_fills_histogram_cumulatively() -> None:
    health = PollHealth()
    health.observe(status("a", HostState.OK, 0.004))
    health.observe(status("a", HostState.OK, 0.3))
    health.observe(status("b", HostState.TIMEOUT, 10.0))
    out = text(health)
    assert "# TYPE sshmon_polls_total counter" in out
    assert 'sshmon_polls_total{host="a",result="ok"} 2.0' in out
    assert 'sshmon_polls_total{host="b",result="timeout"} 1.0' in out
    assert 'sshmon_poll_duration_seconds_bucket{le="0.005"} 1.0' in out
    assert 'sshmon_poll_duration_seconds_bucket{le="0.5"} 2.0' in out
    assert 'sshmon_poll_duration_seconds_bucket{le="10.0"} 3.0' in out
    assert 'sshmon_poll_duration_seconds_bucket{le="+Inf"} 3.0' in out
    assert "sshmon_poll_duration_seconds_count 3.0" in out


def test_host_up_has_one_series_per_host_and_the_state_is_its_own_metric() -> None:
    health = PollHealth()
    health.observe(status("b", HostState.OK, 0.1))
    health.observe(status("b", HostState.TIMEOUT, 10.0))
    out = text(health)
    assert [ln for ln in out.splitlines() if ln.startswith("sshmon_host_up{")] == [
        'sshmon_host_up{host="b"} 0.0'
    ]
    states = [ln for ln in out.splitlines() if ln.startswith("sshmon_host_state{")]
    assert len(states) == len(HostState)  # every state present, 0 or 1: no series churn
    assert 'sshmon_host_state{host="b",state="timeout"} 1.0' in states
    assert 'sshmon_host_state{host="b",state="ok"} 0.0' in states


def test_dropped_devices_are_counted_per_host_and_family() -> None:
    health = PollHealth()
    health.observe(status("a", HostState.OK, 0.1), {"net_dev": 2744})
    health.observe(status("a", HostState.OK, 0.1), {"net_dev": 2744})
    out = text(health)
    assert "# TYPE sshmon_series_dropped_total counter" in out
    assert 'sshmon_series_dropped_total{family="net_dev",host="a"} 5488.0' in out


def test_hostile_host_names_are_escaped_and_removed_hosts_forgotten() -> None:
    health = PollHealth()
    health.observe(status('x"} evil 1\n', HostState.OK, 0.01), {"df": 1})
    assert 'host="x\\"} evil 1\\n"' in text(health)
    health.forget(['x"} evil 1\n'])
    assert "evil" not in text(health)


def test_collector_success_and_state_per_host_keep_a_slow_collectors_last_status() -> None:
    from poller.collectors.status import CollectorState, CollectorStatus

    health = PollHealth()
    ok, failed = CollectorStatus(CollectorState.OK), CollectorStatus(CollectorState.FAILED, "x")
    unavailable = CollectorStatus(CollectorState.UNAVAILABLE, "no /proc/pressure/cpu")
    health.observe(status("a", HostState.OK, 0.1), None, {"filesystem": failed, "cpu": ok})
    health.observe(status("a", HostState.OK, 0.1), None, {"cpu": ok, "pressure": unavailable})
    out = text(health)
    assert 'sshmon_collector_success{collector="cpu",host="a"} 1.0' in out
    assert 'sshmon_collector_success{collector="filesystem",host="a"} 0.0' in out
    assert 'sshmon_collector_success{collector="pressure",host="a"} 0.0' in out
    assert 'sshmon_collector_state{collector="pressure",host="a",state="unavailable"} 1.0' in out
    assert health.collectors_of("a")["filesystem"].reason == "x"
    health.forget(["a"])
    assert "sshmon_collector_success{" not in text(health)


def test_schedule_lag_has_its_own_histogram() -> None:
    health = PollHealth()
    health.observe(status("a", HostState.OK, 0.01), lag_s=0.0)
    health.observe(status("a", HostState.OK, 0.01), lag_s=0.3)
    health.observe(status("b", HostState.OK, 0.01), lag_s=7.0)
    out = text(health)
    assert 'sshmon_poll_schedule_lag_seconds_bucket{le="0.001"} 1.0' in out
    assert 'sshmon_poll_schedule_lag_seconds_bucket{le="0.5"} 2.0' in out
    assert 'sshmon_poll_schedule_lag_seconds_bucket{le="5.0"} 2.0' in out
    assert 'sshmon_poll_schedule_lag_seconds_bucket{le="+Inf"} 3.0' in out
    assert "sshmon_poll_schedule_lag_seconds_sum 7.3" in out
