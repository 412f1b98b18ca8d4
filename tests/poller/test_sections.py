from __future__ import annotations

from captured import ABSENT_ON_THE_VM, ADDED_AFTER_CAPTURE
from peer_fixtures import capture_sections

from parsers import proc_loadavg
from parsers.frame import Section
from poller.collectors import registry as sections
from poller.probe import ALL_SECTIONS


def test_every_probe_section_has_a_parser_and_nothing_else() -> None:
    assert set(sections.PARSERS) == set(ALL_SECTIONS)


def test_a_real_capture_parses_completely() -> None:
    parsed = sections.parse_all(capture_sections())
    assert parsed.failures == {}
    assert set(ALL_SECTIONS) - set(parsed.readings) == ADDED_AFTER_CAPTURE | ABSENT_ON_THE_VM


def test_one_bad_section_fails_alone_and_quotes_its_line() -> None:
    found = dict(capture_sections())
    found["loadavg"] = Section("loadavg", "garbage\n")
    parsed = sections.parse_all(found)
    assert list(parsed.failures) == ["loadavg"]
    assert "'garbage'" in parsed.failures["loadavg"]
    assert "loadavg" not in parsed.readings and "stat" in parsed.readings


def test_absent_section_is_unavailable_not_a_failure() -> None:
    found = {k: v for k, v in capture_sections().items() if not k.startswith("pressure_")}
    parsed = sections.parse_all(found)
    assert not any(k.startswith("pressure_") for k in (*parsed.readings, *parsed.failures))


def test_failed_command_that_printed_output_still_parses() -> None:
    # df exits 1 when one mount cannot be read but still prints the others
    text = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 10 5 5 50% /\n"
    parsed = sections.parse_all({"df": Section("df", text, rc=1)})
    assert "df" in parsed.readings and not parsed.failures


def test_failed_command_without_output_is_unavailable() -> None:
    parsed = sections.parse_all(
        {"uname": Section("uname", "", rc=127), "os_release": Section("os_release", "\n", 1)}
    )
    assert parsed.readings == {} and parsed.failures == {}


def test_empty_file_with_success_is_still_parsed() -> None:
    parsed = sections.parse_all({"loadavg": Section("loadavg", "", rc=0)})
    assert "loadavg" in parsed.failures  # an empty /proc/loadavg is wrong, say so


def test_unknown_sections_are_ignored() -> None:
    parsed = sections.parse_all({"future": Section("future", "x")})
    assert parsed.readings == {} and parsed.failures == {}
    assert isinstance(sections.PARSERS["loadavg"]("1 2 3"), proc_loadavg.LoadAvg)
