"""The fields derivation reads every poll are parsed with the reading ("hot"); the rest
stay text until asked for. Both ways must give the same numbers, whatever the text."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from peer_fixtures import PROC, capture_section

from parsers import proc_meminfo, proc_net_netstat, proc_net_snmp, proc_vmstat
from parsers.errors import ParseError

# (section, tokens that move real text towards and away from the kernel's shape)
_TOKENS = st.sampled_from(
    [
        *(" ", "  ", "\n", "\t", "1", "-1", "-", "x", "1_0", ":", " kB", "Tcp:", "TcpExt:"),
        *("pswpin ", "oom_kill ", "MemTotal:", "Cached:", "CurrEstab", "ListenDrops", "é", "٣"),
    ]
)


def _mutated(real: str) -> st.SearchStrategy[str]:
    cut = st.integers(0, len(real))
    edit = st.lists(_TOKENS, max_size=6).map("".join)
    return st.tuples(cut, cut, edit).map(lambda t: real[: t[0]] + t[2] + real[t[1] :])


def _hot_agrees(section: str, text: str) -> None:
    if section == "vmstat":
        vm = proc_vmstat.parse(text)
        assert {k: vm.get(k) for k in proc_vmstat.HOT_KEYS} == {
            k: vm.values.get(k) for k in proc_vmstat.HOT_KEYS
        }
    elif section == "meminfo":
        mem = proc_meminfo.parse(text)
        sizes = mem.sizes_bytes
        assert {k: mem.get(k) for k in proc_meminfo.HOT_KEYS} == {
            k: sizes.get(k) for k in proc_meminfo.HOT_KEYS
        }
        assert mem.total_bytes == sizes.get("MemTotal")
    else:
        module = proc_net_snmp if section == "net_snmp" else proc_net_netstat
        table = module.parse(text)
        protocols = table.protocols
        for proto, fields in module.HOT_FIELDS.items():
            for field in fields:
                assert table.get(proto, field) == protocols.get(proto, {}).get(field)


_SECTIONS = ("vmstat", "meminfo", "net_snmp", "net_netstat")


@pytest.mark.parametrize("section", _SECTIONS)
def test_real_capture_hot_fields_match_the_full_parse(section: str) -> None:
    _hot_agrees(section, capture_section(section))
    _hot_agrees(section, capture_section(section, 1))


@pytest.mark.parametrize("section", _SECTIONS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hot_fields_match_the_full_parse_on_any_edit(section: str, data: st.DataObject) -> None:
    text = data.draw(_mutated(capture_section(section)))
    with contextlib.suppress(ParseError):  # refused text never reaches the full parse
        _hot_agrees(section, text)


def test_last_of_a_repeated_vmstat_line_wins() -> None:
    vm = proc_vmstat.parse("pswpin 1\npgfault 3\npswpin 2\n")
    assert vm.get("pswpin") == 2 == vm.values["pswpin"]


def test_vmstat_text_off_the_kernel_shape_still_parses() -> None:
    vm = proc_vmstat.parse("  pswpin  7\n\noom_kill 1")  # blank line, spaces, no final \n
    assert vm.get("pswpin") == 7 and vm.get("oom_kill") == 1 and vm.get("pswpout") is None


def test_meminfo_hot_field_printed_without_unit_is_no_size() -> None:
    mem = proc_meminfo.parse("MemTotal: 5 kB\nMemFree: 3\n")
    assert mem.get("MemFree") is None and mem.counts["MemFree"] == 3
    assert mem.total_bytes == 5 * 1024


def test_meminfo_size_then_count_keeps_the_size() -> None:
    mem = proc_meminfo.parse("MemTotal: 5 kB\nMemTotal: 3\n")
    assert mem.get("MemTotal") == 5 * 1024 == mem.sizes_bytes["MemTotal"]


def test_negative_snmp_values_are_hot_too() -> None:
    snmp = proc_net_snmp.parse("Tcp: MaxConn CurrEstab\nTcp: -1 -2\n")
    assert snmp.get("Tcp", "CurrEstab") == -2 and snmp.get("Tcp", "MaxConn") == -1


def test_a_repeated_protocol_replaces_the_earlier_one() -> None:
    snmp = proc_net_snmp.parse("Tcp: InErrs CurrEstab\nTcp: 1 2\nTcp: InErrs\nTcp: 5\n")
    assert snmp.get("Tcp", "InErrs") == 5 and snmp.get("Tcp", "CurrEstab") is None


def test_netstat_hot_field_of_the_procfs_fixture() -> None:
    netstat = proc_net_netstat.parse((PROC / "26231/net/netstat").read_text())
    assert netstat.get("TcpExt", "ListenDrops") == netstat.protocols["TcpExt"]["ListenDrops"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Tcp: A B\nTcp: 1 -\n", id="lone-minus"),
        pytest.param("Tcp: A B\nTcp: 1  2 3\n", id="double-space-hides-a-count"),
        pytest.param("Tcp: A\nTcp: 1-2\n", id="minus-inside"),
        pytest.param("Tcp: A\nTcp: ٣x\n", id="digit-then-word"),
    ],
)
def test_off_shape_snmp_values_raise(text: str) -> None:
    with pytest.raises(ParseError, match="snmp"):
        proc_net_snmp.parse(text)


def test_one_shape_per_names_lines_serves_every_poll_of_that_kernel() -> None:
    """The names lines pick the cached regex; the value lines still decide every poll."""
    names = "Tcp: RtoMin CurrEstab InErrs\n"
    first = proc_net_snmp.parse(f"{names}Tcp: 200 3 0\n")
    again = proc_net_snmp.parse(f"{names}Tcp: 200 7 -1\n")
    assert (first.get("Tcp", "CurrEstab"), again.get("Tcp", "CurrEstab")) == (3, 7)
    assert again.get("Tcp", "InErrs") == -1
    with pytest.raises(ParseError):  # same names, one value short: not the cached shape
        proc_net_snmp.parse(f"{names}Tcp: 200 7\n")
    long = "1" * 20  # beyond SAFE_DIGITS: the full parse, which bounds it
    assert proc_net_snmp.parse(f"{names}Tcp: 200 {long} 0\n").get("Tcp", "CurrEstab") == int(long)


def test_made_up_names_lines_do_not_grow_the_shape_cache() -> None:
    """A target printing new names lines at every poll costs a compile, not memory."""
    for i in range(proc_net_snmp._SHAPES_MAX * 3):
        snmp = proc_net_snmp.parse(f"Tcp: CurrEstab X{i}\nTcp: 5 {i}\n")
        assert snmp.get("Tcp", "CurrEstab") == 5
        assert len(proc_net_snmp._shapes) <= proc_net_snmp._SHAPES_MAX
    huge = "Tcp: CurrEstab " + " ".join(f"N{i}" for i in range(4000)) + "\n"
    values = "Tcp: 9" + " 0" * 4000 + "\n"
    before = len(proc_net_snmp._shapes)
    assert proc_net_snmp.parse(huge + values).get("Tcp", "CurrEstab") == 9
    assert len(proc_net_snmp._shapes) == before  # over the size limit: not kept
