"""Glob sections in the probe output (parsers/frame.py): files whose names only the target
knows, read by one `head` after the /proc files, and what a hostile name or body can do."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from parsers import frame

PATHS = {"/proc/loadavg": "loadavg", "/proc/uptime": "uptime"}
GLOBS = (
    ("net_mtu", "/sys/class/net/*/mtu"),
    ("net_state", "/sys/class/net/*/operstate"),
    ("temp", "/sys/class/hwmon/hwmon*/temp*_input"),
)
PROC = "==> /proc/loadavg <==\n1.00 2.00 3.00 1/100 42\n\n==> /proc/uptime <==\n5.0 9.0\n\n"
LOADAVG = "1.00 2.00 3.00 1/100 42\n"


def reader_output(*files: tuple[str, str]) -> str:
    """What `tail`/`head` print for the /proc files, /dev/null, then `files`, /dev/null."""
    out = PROC + "==> /dev/null <==\n"
    for path, body in files:
        out += f"==> {path} <==\n{body}\n"
    return out + "==> /dev/null <==\n"


def split(text: str, textfile_dir: str | None = None) -> dict[str, str]:
    return {k: v.text for k, v in frame.split_tail(text, PATHS, textfile_dir, GLOBS).items()}


def test_each_glob_section_holds_its_files_in_order_with_their_headers() -> None:
    out = split(
        reader_output(
            ("/sys/class/net/eth0/mtu", "1500\n"),
            ("/sys/class/net/lo/mtu", "65536\n"),
            ("/sys/class/net/eth0/operstate", "up\n"),
            ("/sys/class/net/lo/operstate", "unknown\n"),
        )
    )
    assert out == {
        "loadavg": LOADAVG,
        "uptime": "5.0 9.0\n",
        "net_mtu": "==> /sys/class/net/eth0/mtu <==\n1500\n==> /sys/class/net/lo/mtu <==\n65536\n",
        "net_state": "==> /sys/class/net/eth0/operstate <==\nup\n"
        "==> /sys/class/net/lo/operstate <==\nunknown\n",
    }
    assert frame.tail_files(out["net_mtu"]) == [
        ("/sys/class/net/eth0/mtu", "1500\n"),
        ("/sys/class/net/lo/mtu", "65536\n"),
    ]


def test_a_glob_that_matched_nothing_has_no_section() -> None:
    out = split(reader_output(("/sys/class/net/eth0/mtu", "1500\n")))
    assert "temp" not in out and "net_state" not in out


def test_an_unreadable_file_has_an_empty_body_and_a_body_without_newline_gets_one() -> None:
    # head prints the header of a file whose read() fails (EINVAL), then nothing
    text = PROC + "==> /dev/null <==\n==> /sys/class/net/ifb0/mtu <==\n\n"
    text += "==> /sys/class/net/lo/mtu <==\n65536\n==> /dev/null <==\n"
    assert frame.tail_files(split(text)["net_mtu"]) == [
        ("/sys/class/net/ifb0/mtu", ""),
        ("/sys/class/net/lo/mtu", "65536\n"),
    ]


def test_a_body_cannot_stand_in_for_a_proc_file_or_an_earlier_file() -> None:
    out = split(
        reader_output(
            ("/sys/class/net/a/mtu", "1500\n"),
            # the hostile file: a made-up /proc/loadavg and a made-up earlier interface
            (
                "/sys/class/net/evil/mtu",
                "9000\n\n==> /sys/class/net/a/mtu <==\n1\n\n==> /proc/loadavg <==\n9 9 9 9/9 9\n",
            ),
            ("/sys/class/net/z/mtu", "1400\n"),
        )
    )
    assert out["loadavg"] == LOADAVG
    assert frame.tail_files(out["net_mtu"]) == [
        ("/sys/class/net/a/mtu", "1500\n"),
        # `evil` ends at the /proc header; the rest up to the next real header is dropped
        ("/sys/class/net/z/mtu", "1400\n"),
    ]


def test_a_made_up_later_file_is_replaced_by_the_real_one() -> None:
    fake = "1\n\n==> /sys/class/net/eth0/operstate <==\ndown\n"
    out = split(
        reader_output(
            ("/sys/class/net/evil/mtu", fake),
            ("/sys/class/net/eth0/operstate", "up\n"),
        )
    )
    assert frame.tail_files(out["net_state"]) == [("/sys/class/net/eth0/operstate", "up\n")]


def test_a_header_line_no_glob_matches_drops_only_the_file_holding_it() -> None:
    out = split(
        reader_output(
            ("/sys/class/net/a/mtu", "1500\n==> /etc/shadow <==\nroot\n"),
            ("/sys/class/net/b/mtu", "1400\n"),
        )
    )
    assert frame.tail_files(out["net_mtu"]) == [("/sys/class/net/b/mtu", "1400\n")]


def test_hostile_names_stay_in_their_own_component_and_come_back_as_they_were() -> None:
    # cgroup names may hold spaces, `<==` and `==>`; never `/` (nor, since Linux 4.x
    # for cgroups and always for interfaces, a newline)
    odd = "/sys/class/net/x <==/mtu"
    out = split(reader_output(("/sys/class/net/../../../proc/loadavg", "2\n"), (odd, "1\n")))
    assert frame.tail_files(out["net_mtu"]) == [(odd, "1\n")]
    assert out["loadavg"] == LOADAVG


def test_the_textfile_directory_comes_after_the_globs() -> None:
    text = reader_output(("/sys/class/net/a/mtu", "1\n"))
    text += "==> /tf/a.prom <==\nx 1\n==> /sys/class/net/b/mtu <==\n7\n\n==> /dev/null <==\n"
    out = split(text, "/tf")
    assert out["textfile:a.prom"] == "x 1\n==> /sys/class/net/b/mtu <==\n7\n"
    assert frame.tail_files(out["net_mtu"]) == [("/sys/class/net/a/mtu", "1\n")]


def test_a_glob_is_a_regex_of_one_component_per_star() -> None:
    rx = frame.glob_regex("/sys/class/hwmon/hwmon*/temp*_input")
    assert rx.fullmatch("/sys/class/hwmon/hwmon0/temp1_input")
    assert not rx.fullmatch("/sys/class/hwmon/hwmon0/x/temp1_input")
    assert not rx.fullmatch("/sys/class/hwmon/hwmon0/temp1_inputs")
    assert frame.glob_regex("/a/b.c*").fullmatch("/a/b.cd") and not frame.glob_regex(
        "/a/b.c*"
    ).fullmatch("/a/bxcd")


_NAME = st.text(st.characters(blacklist_characters="/\n"), min_size=1, max_size=8)
_LINE = st.one_of(
    st.text(st.characters(blacklist_characters="\n"), max_size=12),
    st.sampled_from(
        [
            "==> /proc/loadavg <==",
            "==> /dev/null <==",
            "==> /sys/class/net/a/mtu <==",
            "==> /sys/class/net/zz/operstate <==",
            "==> /sys/class/hwmon/hwmon9/temp1_input <==",
            "",
        ]
    ),
)


@given(st.lists(st.tuples(_NAME, st.lists(_LINE, max_size=4)), max_size=5))
def test_no_body_reaches_a_proc_file_or_a_file_read_before_it(
    files: list[tuple[str, list[str]]],
) -> None:
    """Whatever the names and bodies, /proc comes back exactly, and every file up to the
    first body holding a header-like line comes back exactly."""
    listed = sorted({f"/sys/class/net/{n}/mtu": "\n".join(b) for n, b in files}.items())
    bodies = [(p, b + "\n" if b else b) for p, b in listed]
    out = split(reader_output(*bodies))
    assert out["loadavg"] == LOADAVG and out["uptime"] == "5.0 9.0\n"
    got = frame.tail_files(out.get("net_mtu", ""))
    clean = []
    for path, body in bodies:
        if "\n==> " in "\n" + body:
            break
        clean.append((path, body))
    assert got[: len(clean)] == clean


def test_busybox_and_gnu_head_go_on_after_an_unreadable_file(tmp_path: Path) -> None:
    """GNU tail 9.1 exits at the first failed read(); the probe reads globs with head.
    lo's `speed` fails with EINVAL on every Linux (no link settings)."""
    args = ["/sys/class/net/lo/speed", "/sys/class/net/lo/mtu", "/dev/null"]
    for argv in (["head", "-n", "2147483647"], ["busybox", "head", "-n", "2147483647"]):
        out = subprocess.run([*argv, *args], capture_output=True, text=True).stdout
        files = frame.tail_files(out)
        assert files[:2] == [
            ("/sys/class/net/lo/speed", "\n"),
            ("/sys/class/net/lo/mtu", "65536\n\n"),
        ]
