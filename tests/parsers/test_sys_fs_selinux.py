"""SELinux state from files, decided as node_exporter 1.5.0 (go-selinux) decides it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers import sys_fs_selinux
from parsers.errors import ParseError
from parsers.frame import join_files
from parsers.sys_fs_selinux import Selinux
from poller.collectors.registry import parse_all
from poller.replay import sections_from_root

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "selinux"
MOUNT = "selinuxfs /sys/fs/selinux selinuxfs rw,nosuid,noexec,relatime 0 0\n"
ROOT = "/dev/vda1 / xfs rw,seclabel,relatime 0 0\n"
RHEL_CONFIG = (FIXTURES / "rhel9" / "etc" / "selinux" / "config").read_text()
LABEL = "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023\0"


def _parse(**files: str) -> Selinux:
    paths = {
        "mounts": "/proc/self/mounts",
        "enforce": "/sys/fs/selinux/enforce",
        "legacy": "/selinux/enforce",
        "config": "/etc/selinux/config",
        "label": "/proc/self/attr/current",
    }
    return sys_fs_selinux.parse(join_files((paths[k], v) for k, v in files.items()))


def test_debian_without_selinux_is_disabled_as_node_exporter_says() -> None:
    # node_exporter 1.5.0 on the same VM: node_selinux_enabled 0, nothing else
    got = sys_fs_selinux.parse((FIXTURES / "head.debian12").read_text())
    assert got == Selinux(enabled=False)


def test_rhel9_enforcing_through_replay_of_the_tree() -> None:
    parsed = parse_all(sections_from_root(FIXTURES / "rhel9"))
    assert parsed.failures == {}
    assert parsed.readings["selinux"] == Selinux(True, config_mode=1, current_mode=1)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {"mounts": ROOT + MOUNT, "enforce": "0", "config": RHEL_CONFIG, "label": LABEL},
            Selinux(True, 1, 0),
            id="setenforce-0-on-an-enforcing-config",
        ),
        pytest.param(
            {"mounts": ROOT + MOUNT, "enforce": "1", "config": 'SELINUX="permissive"\n'},
            Selinux(True, 0, 1),
            id="quoted-permissive-and-no-label-read",
        ),
        pytest.param(
            {"mounts": ROOT + MOUNT, "enforce": "1"},
            Selinux(True, -1, 1),
            id="no-config-is-disabled-mode",
        ),
        pytest.param(
            {"mounts": MOUNT, "enforce": "1", "config": "SELINUX = enforcing\nSELINUX=x\n"},
            Selinux(True, -1, 1),
            id="config-key-must-be-exact-and-first-wins",
        ),
        pytest.param(
            {"mounts": MOUNT, "enforce": "1", "config": "SELINUX=Enforcing\n"},
            Selinux(True, -1, 1),
            id="config-value-is-case-sensitive",
        ),
        pytest.param(
            {"mounts": MOUNT, "enforce": "yes"}, Selinux(True, -1, -1), id="garbled-enforce"
        ),
        pytest.param(
            {"mounts": MOUNT, "enforce": "9" * 30}, Selinux(True, -1, -1), id="enforce-huge"
        ),
        pytest.param(
            {"mounts": MOUNT, "config": "SELINUX=enforcing\n"},
            Selinux(True, 1, -1),
            id="unreadable-enforce",
        ),
        pytest.param(
            {"mounts": MOUNT, "enforce": "1", "label": "kernel\0"},
            Selinux(False),
            id="no-policy-loaded-label-kernel",
        ),
        pytest.param(
            {"mounts": ROOT + MOUNT.replace(" rw,", " ro,"), "enforce": "1"},
            Selinux(False),
            id="read-only-selinuxfs-as-in-a-container",
        ),
        pytest.param(
            {"mounts": MOUNT + "tmpfs /sys/fs/selinux tmpfs rw 0 0\n", "enforce": "1"},
            Selinux(False),
            id="selinuxfs-hidden-under-another-mount",
        ),
        pytest.param(
            {
                "mounts": ROOT + "none /selinux selinuxfs rw,relatime 0 0\n",
                "legacy": "1",
                "config": "SELINUX=enforcing\n",
            },
            Selinux(True, 1, 1),
            id="rhel6-mount-point",
        ),
        pytest.param(
            {"mounts": ROOT + "selinuxfs /mnt/se\\040fs selinuxfs rw 0 0\n"},
            Selinux(True, -1, None),
            id="elsewhere-enabled-but-mode-unread",
        ),
        pytest.param(
            {"enforce": "1", "config": "SELINUX=permissive\n"},
            Selinux(True, 0, 1),
            id="no-mount-table-but-enforce-there",
        ),
        pytest.param({"config": RHEL_CONFIG}, Selinux(False), id="files-cannot-tell-is-0"),
        pytest.param({"mounts": ROOT}, Selinux(False), id="no-selinuxfs-mounted"),
    ],
)
def test_decided_as_go_selinux_decides(files: dict[str, str], expected: Selinux) -> None:
    assert _parse(**files) == expected


def test_no_file_at_all_is_disabled_too() -> None:
    # the probe's head printed nothing (no /proc): parse_all calls that unavailable before
    # this parser runs; on its own, no selinuxfs found is go-selinux's "disabled"
    assert sys_fs_selinux.parse("") == Selinux(False)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("==> /etc/shadow <==\nroot:x\n", id="other-file"),
        pytest.param("==> /proc/self/mounts <==\nselinuxfs /x\n", id="short-mount-line"),
    ],
)
def test_malformed_raise(text: str) -> None:
    with pytest.raises(ParseError, match="selinux"):
        sys_fs_selinux.parse(text)


_HEADERS = st.sampled_from(
    [
        "==> /proc/self/mounts <==",
        "==> /sys/fs/selinux/enforce <==",
        "==> /etc/selinux/config <==",
        "==> /proc/self/attr/current <==",
        MOUNT.strip(),
        "SELINUX=enforcing",
    ]
)


@given(st.lists(st.one_of(_HEADERS, st.text(max_size=20)), max_size=10))
def test_any_text_gives_a_reading_or_a_parse_error(lines: list[str]) -> None:
    with contextlib.suppress(ParseError):
        sys_fs_selinux.parse("\n".join(lines))
