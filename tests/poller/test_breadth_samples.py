"""tcpstat, timex and systemd readings named as node_exporter names them (its HELP texts
copied from collector/tcpstat_linux.go, timex.go and systemd_linux.go)."""

from __future__ import annotations

from pathlib import Path

from parsers import cmd_systemctl_failed, cmd_tcp_states, cmd_timex
from parsers.exposition import Sample
from poller.collectors import systemd, tcpstat, timex

CMD = Path(__file__).resolve().parents[1] / "fixtures" / "cmd"


def _by_key(samples: list[Sample]) -> dict[tuple[str, tuple[tuple[str, str], ...]], Sample]:
    return {(s.name, s.labels): s for s in samples}


def test_tcp_states_every_state_with_node_exporter_labels() -> None:
    reading = cmd_tcp_states.parse((CMD / "tcp-states.ss").read_text())
    got = _by_key(list(tcpstat.samples({"tcp_states": reading})))
    assert len(got) == 11
    est = got[("node_tcp_connection_states", (("state", "established"),))]
    assert (est.value, est.type, est.help) == (1400, "gauge", "Number of connection states.")
    assert got[("node_tcp_connection_states", (("state", "close_wait"),))].value == 40


def test_timex_names_and_units() -> None:
    text = "adjtimex\n" + (CMD / "busybox-adjtimex.unsynchronised").read_text()
    got = {s.name: s for s in timex.samples({"timex": cmd_timex.parse(text)})}
    assert {n: s.value for n, s in got.items()} == {
        "node_timex_sync_status": 0,
        "node_timex_offset_seconds": 0.0,
        "node_timex_maxerror_seconds": 16.0,
        "node_timex_estimated_error_seconds": 16.0,
        "node_timex_frequency_adjustment_ratio": 1.0,
        "node_timex_status": 64,
        "node_timex_loop_time_constant": 2,
        "node_timex_tick_seconds": 0.01,
    }  # busybox prints neither tai nor the PPS fields: no node_timex_pps_*, no tai offset
    assert got["node_timex_sync_status"].help.startswith("Is clock synchronized")
    assert got["node_timex_tick_seconds"].help == "Seconds between clock ticks."


def test_timex_from_chronyc_leaves_out_what_chronyc_does_not_say() -> None:
    text = "chronyc\n" + (CMD / "chronyc-c-tracking.synchronised").read_text()
    names = {s.name for s in timex.samples({"timex": cmd_timex.parse(text)})}
    assert names == {"node_timex_sync_status", "node_timex_offset_seconds"}


def test_systemd_failed_units_summary_and_one_state_per_shown_unit() -> None:
    text = "a.service loaded failed failed A\nb.mount loaded failed failed B\n"
    got = _by_key(list(systemd.samples({"systemd_failed": cmd_systemctl_failed.parse(text)})))
    assert got[("node_systemd_units", (("state", "failed"),))].value == 2
    unit = got[
        ("node_systemd_unit_state", (("name", "b.mount"), ("state", "failed"), ("type", "")))
    ]
    assert (unit.value, unit.help) == (1, "Systemd unit")


def test_absent_sections_export_nothing() -> None:
    assert [*tcpstat.samples({}), *timex.samples({}), *systemd.samples({})] == []
